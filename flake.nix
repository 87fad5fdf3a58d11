{
  description = "flakedup: find and collapse duplicated nixpkgs copies in a flake's lock";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      version = "0.1.0";
    in
    {
      packages = forAllSystems (pkgs: {
        flakedup = pkgs.buildGoModule {
          pname = "flakedup";
          inherit version;
          src = self;
          # The hash of `go mod vendor`; cmd/flakedup's TestSelfFlake recomputes
          # it, so it cannot go stale when go.mod changes.
          vendorHash = "sha256-sELbyq2iIpk9cgvIRV62BPpqE7xcTL3cN+BDGGnUkwA=";
          subPackages = [ "cmd/flakedup" ];
          env.CGO_ENABLED = 0;
          ldflags = [ "-s" "-w" "-X main.version=v${version}" ];
          # As `make build`: leaves out urfave/cli's docs support, which the
          # binary never uses but would initialise on every run.
          tags = [ "urfave_cli_no_docs" ];
          # The test suite wants the shared corpus and a nix; the binary does not.
          doCheck = false;
          meta = {
            description = "Find and collapse duplicated nixpkgs copies in a flake's lock";
            homepage = "https://github.com/flakedup/flakedup";
            license = pkgs.lib.licenses.mit;
            mainProgram = "flakedup";
          };
        };
        default = self.packages.${pkgs.stdenv.hostPlatform.system}.flakedup;
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = "${self.packages.${pkgs.stdenv.hostPlatform.system}.flakedup}/bin/flakedup";
        };
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell { packages = [ pkgs.go pkgs.gnumake pkgs.graphviz ]; };
      });
    };
}
