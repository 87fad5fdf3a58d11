#!/usr/bin/env bash
# install-nix.sh SUITE PREFIX: install the Nix of Debian suite SUITE (sid has
# Nix 2.34, trixie 2.26) into PREFIX, beside the system's Nix and without
# touching the system's apt, dpkg database or /usr.
#
#   scripts/install-nix.sh sid /opt/flakedup/nix-sid
#   /opt/flakedup/nix-sid/bin/nix --version      # nix (Nix) 2.34.8
#
# When SUITE has no nix-bin, the next suite of FALLBACK (default "trixie") is
# used instead. Idempotent: when PREFIX/bin/nix already runs and was installed
# from the same suite, nothing is done; downloaded packages are kept in
# PREFIX/apt/cache, so a re-install after a failure downloads nothing again.
#
# Steps (each is commented below):
#   1. a private apt configuration under PREFIX/apt: a source list naming only
#      SUITE, its own package lists, cache and preferences; the system's
#      /etc/apt/sources.list{,.d}, /var/lib/apt and /var/cache/apt are not
#      used or changed (the system's apt.conf.d is, for proxies and the like);
#   2. `apt-get update` on that configuration (Debian's registry, nothing else);
#   3. the closure of nix-bin, resolved by apt's own resolver
#      (`apt-cache depends --recurse`, hard dependencies only), minus virtual
#      packages and the packages the system already has at the same or a
#      newer version (dpkg --compare-versions against the system's dpkg
#      database, read only);
#   4. `apt-get download` of exactly those versions into the private cache;
#   5. `dpkg -x` of each into PREFIX/root (no maintainer scripts run, nothing
#      is registered with the system's dpkg);
#   6. patchelf (installed from the system's suite when missing) points the
#      nix binary's interpreter at the unpacked ld.so and its DT_RPATH at the
#      unpacked library directories; DT_RPATH, unlike DT_RUNPATH, also serves
#      the libraries' own dependencies, so the libraries stay unpatched, and
#      what the prefix lacks comes from the system's directories;
#   7. PREFIX/bin holds symlinks nix, nix-instantiate, nix-store, ... to the
#      patched multi-call binary (it dispatches on its argv[0] name);
#   8. PREFIX/bin/nix --version must print the suite's version.
#
# Environment: FALLBACK (suites tried after SUITE, default "trixie"),
# MIRROR (default: the system's Debian mirror from
# /etc/apt/sources.list.d/debian.sources, else http://deb.debian.org/debian).
set -euo pipefail

if (($# != 2)); then
  echo "usage: $0 SUITE PREFIX   (e.g. $0 sid /opt/flakedup/nix-sid)" >&2
  exit 2
fi
suite=$1
prefix=$2
case $prefix in /*) ;; *) prefix=$PWD/$prefix ;; esac
# The system's own Debian mirror (the first URIs: of its deb822 source), so
# that a machine with a local mirror uses it too.
mirror=${MIRROR:-$(awk '$1 == "URIs:" && $2 ~ /\/debian\/?$/ { print $2; exit }' \
  /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
mirror=${mirror:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)

log() { echo "install-nix: $*" >&2; }

# works: PREFIX/bin/nix runs and was installed from suite $1.
works() {
  [[ -x $prefix/bin/nix && -f $prefix/suite && $(cat "$prefix/suite") == "$1" ]] &&
    "$prefix/bin/nix" --version >/dev/null 2>&1
}

# Already installed (from SUITE or a fallback of it): nothing to do.
for s in "$suite" ${FALLBACK-trixie}; do
  if works "$s"; then
    log "$("$prefix/bin/nix" --version) already in $prefix (from $s)"
    exit 0
  fi
done

# Step 1: the private apt configuration. Every apt command below gets these
# options; Debug::NoLocking keeps apt away from the system's lock files
# (nothing here writes the system's state).
aptdir=$prefix/apt
mkdir -p "$aptdir"/lists/partial "$aptdir"/cache/archives/partial \
  "$aptdir"/etc/sources.list.d "$aptdir"/etc/preferences.d
apt_opts=(
  -o "Dir::Etc::SourceList=$aptdir/etc/sources.list"
  -o "Dir::Etc::SourceParts=$aptdir/etc/sources.list.d"
  -o "Dir::Etc::Preferences=$aptdir/etc/preferences"
  -o "Dir::Etc::PreferencesParts=$aptdir/etc/preferences.d"
  -o "Dir::State::Lists=$aptdir/lists"
  -o "Dir::Cache=$aptdir/cache"
  -o "Dir::Cache::pkgcache=$aptdir/cache/pkgcache.bin"
  -o "Dir::Cache::srcpkgcache=$aptdir/cache/srcpkgcache.bin"
  -o "Acquire::Languages=none"
  -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
  -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
  -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
  -o "APT::Architecture=$arch"
  -o "APT::Architectures=$arch"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root" # the cache is root's, not _apt's
)

# use_suite: point the private source list at suite $1 and fetch its lists
# (step 2); succeeds when the suite has a nix-bin candidate.
use_suite() {
  echo "deb [signed-by=$keyring] $mirror $1 main" >"$aptdir/etc/sources.list"
  rm -f "$aptdir"/lists/*_Packages* "$aptdir"/lists/*Release* "$aptdir"/cache/*.bin
  log "apt-get update ($1)"
  apt-get "${apt_opts[@]}" -qq update >&2
  candidate "$1" nix-bin >/dev/null
}

# candidate: the version of package $2 that suite $1's list offers ("" and
# failure when it has none).
candidate() {
  local v
  v=$(apt-cache "${apt_opts[@]}" show --no-all-versions "$2" 2>/dev/null |
    sed -n 's/^Version: //p' | head -n1)
  [[ -n $v ]] && echo "$v"
}

chosen=
for s in "$suite" ${FALLBACK-trixie}; do
  if use_suite "$s"; then
    chosen=$s
    break
  fi
  log "suite $s has no nix-bin"
done
if [[ -z $chosen ]]; then
  log "no nix-bin in $suite or ${FALLBACK-trixie}"
  exit 1
fi
version=$(candidate "$chosen" nix-bin)
log "nix-bin $version from $chosen"

# Step 3: the closure, by apt's resolver, hard dependencies only
# (Depends and Pre-Depends; virtual packages, printed as <name>, are
# provided by real packages of the closure and dropped).
mapfile -t closure < <(
  apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances nix-bin |
    grep -v '^ ' | grep -v '^<' | sort -u
)
# The suite's version of each, in one apt-cache call (one record per
# package with --no-all-versions: its candidate).
declare -A cand have
while read -r pkg v; do
  cand[$pkg]=$v
done < <(apt-cache "${apt_opts[@]}" show --no-all-versions "${closure[@]}" |
  awk '/^Package: /{p=$2} /^Version: /{print p, $2}')
# The system's installed versions, in one dpkg-query call (read only;
# packages it does not know are reported on stderr and left out).
while read -r pkg status v; do
  [[ $status == ii ]] && have[$pkg]=$v
done < <(dpkg-query -W -f '${Package} ${db:Status-Abbrev}${Version}\n' "${closure[@]}" 2>/dev/null || true)
# Keep what the system lacks: not installed, or installed at an older
# version than the suite's (a newer libstdc++6, libc6, ...). nix-bin itself
# is always taken (the system's is the old Nix).
want=()
for pkg in "${closure[@]}"; do
  v=${cand[$pkg]:-}
  [[ -n $v ]] || { log "no candidate for $pkg in $chosen"; exit 1; }
  if [[ $pkg != nix-bin && -n ${have[$pkg]:-} ]] && dpkg --compare-versions "${have[$pkg]}" ge "$v"; then
    continue
  fi
  want+=("$pkg=$v")
done
log "${#closure[@]} packages in the closure, ${#want[@]} missing or older on the system"

# Step 4: download exactly those versions into the private cache (apt-get
# download writes to the working directory; files already there are kept).
debs=$aptdir/cache/archives
missing=()
for pv in "${want[@]}"; do
  pkg=${pv%%=*} v=${pv#*=}
  # Debian file names carry the version with its epoch's colon as %3a.
  f=$(compgen -G "$debs/${pkg}_${v//:/%3a}_*.deb" || true)
  [[ -n $f ]] || missing+=("$pv")
done
if ((${#missing[@]})); then
  log "downloading ${#missing[@]} packages"
  (cd "$debs" && apt-get "${apt_opts[@]}" -qq download "${missing[@]}" >&2)
fi

# Step 5: unpack into a fresh root (a failed earlier unpack leaves nothing
# behind that could mix versions).
root=$prefix/root
rm -rf "$root.new"
mkdir -p "$root.new"
for pv in "${want[@]}"; do
  pkg=${pv%%=*} v=${pv#*=}
  f=$(compgen -G "$debs/${pkg}_${v//:/%3a}_*.deb" | head -n1)
  dpkg -x "$f" "$root.new"
done

# Step 6: patchelf from the system's own suite when it is not there.
if ! command -v patchelf >/dev/null; then
  log "apt-get install patchelf"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patchelf >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends patchelf >&2; }
fi
ldso=$root/usr/lib/$multiarch/ld-linux-x86-64.so.2
[[ -e $root.new/usr/lib/$multiarch/ld-linux-x86-64.so.2 ]] ||
  { log "the unpacked libc6 has no ld-linux-x86-64.so.2"; exit 1; }
libpath=$root/usr/lib/$multiarch:$root/lib/$multiarch
# The paths point at $root, where the tree is moved next.
patchelf --set-interpreter "$ldso" --force-rpath --set-rpath "$libpath" "$root.new/usr/bin/nix"
rm -rf "$root"
mv "$root.new" "$root"

# Step 7: the commands, as symlinks to the multi-call binary.
rm -rf "$prefix/bin"
mkdir -p "$prefix/bin"
for f in "$root"/usr/bin/nix*; do
  name=$(basename "$f")
  if [[ -L $f || $name == nix ]]; then
    ln -s "$root/usr/bin/nix" "$prefix/bin/$name"
  else
    ln -s "$f" "$prefix/bin/$name" # a script (nix-channel's helpers and the like)
  fi
done

# Step 8: it must run and print the suite's version (2.34.8+dfsg-1+b1 ->
# 2.34.8).
got=$("$prefix/bin/nix" --version)
upstream=${version#*:}
upstream=${upstream%%[~+-]*}
if [[ $got != *" $upstream" ]]; then
  log "$prefix/bin/nix --version printed '$got', want $upstream"
  exit 1
fi
"$prefix/bin/nix-instantiate" --version >/dev/null
echo "$chosen" >"$prefix/suite"
log "$got in $prefix (from $chosen)"
