# flakedup: build, test and measure. `make help` lists the targets.
GO       ?= go
# A count, not a duration: Go 1.26's fuzz coordinator can fail a duration
# run with a spurious "context deadline exceeded" as the time runs out
# (golang/go#75804, fixed in Go 1.27); a count has no deadline to race.
FUZZTIME ?= 50000x
BIN      ?= bin/flakedup
# Build tags of the shipped binary: urfave_cli_no_docs leaves out
# urfave/cli's man page and markdown writers (and the markdown library they
# pull in), which flakedup never uses; their package init alone cost ~1 ms
# and 214 KB per run (GODEBUG=inittrace=1). flake.nix must pass the same tag.
TAGS     ?= urfave_cli_no_docs

.PHONY: help build test vet fmt-check unit fuzz bench perf faults demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

build: ## build the binary into bin/flakedup
	CGO_ENABLED=0 $(GO) build -trimpath -tags '$(TAGS)' -o $(BIN) ./cmd/flakedup

test: fmt-check vet unit fuzz ## everything CI runs: gofmt, go vet, go test, a short fuzz run

fmt-check: ## fail when a Go file is not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

unit: ## go test ./...
	$(GO) test -count=1 ./...

fuzz: ## run every Fuzz target for FUZZTIME (default 50000x; FUZZTIME=10m for a long run)
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench: ## benchmarks (numbers for the README and closing notes)
	$(GO) test -tags '$(TAGS)' -run '^$$' -bench . -benchmem ./...

perf: ## whole-process timings against Python and jq (scripts/perf.sh; slow)
	scripts/perf.sh

faults: ## page faults of analyze and their cost per fault (scripts/faults.sh; slow)
	scripts/faults.sh

demo: ## analyze the bundled example flake
	$(GO) run ./cmd/flakedup analyze fixtures/demo

clean:
	rm -rf bin
