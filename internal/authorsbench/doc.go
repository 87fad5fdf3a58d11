// Package authorsbench measures flakedup's planner against what flake
// authors do (issue 12). It has no code outside its tests: the test reads
// ../shared/authors (real commits that added follows, with the flake pair
// as it was before each) and ../shared/corpus, runs lockgraph.Plan on each
// "before" pair, and logs and checks the figures against a golden file, so
// that a change of policy shows as a change of figures.
package authorsbench
