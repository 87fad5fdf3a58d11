// Package rewrite reads and edits flake.nix files without ever damaging
// them.
//
// It has its own lossless Nix lexer and parser (Parse): every token owns the
// whitespace and comments before it, so the file is the concatenation of its
// tokens and File.Bytes() returns the input byte for byte, and Parse accepts
// exactly what `nix-instantiate --parse` (Nix 2.8) accepts, scope and
// duplicate-attribute rules included, plus the pipe operators `|>` and `<|`
// of Nix 2.24+ and Lix (by their documented grammar: Nix 2.8 has none). On
// top of the syntax tree, Inputs reads the declared inputs in every
// spelling Nix allows (blocks, dotted paths, mixes, quoted names, unquoted
// URI literals) the way Nix evaluates them, without evaluating anything; it
// refuses a file that is not an attribute set literal, as every `nix flake`
// command does. CheckFlake (with CheckFollowsTargets) adds the checks Nix's
// flake commands make beyond that: callers that are about to plan or edit
// should run it.
//
// Edits are values (AddFollows, SetFollows, AddInput) applied by Apply,
// which splices new text in the style of its neighbours and re-parses the
// result to check that exactly the intended change was made. Diff renders a
// unified diff that `git apply` accepts, and WriteFile replaces a file
// atomically, refusing when it changed since it was read.
//
// rewrite never reads flake.lock: it knows Nix syntax and text, not graphs.
package rewrite
