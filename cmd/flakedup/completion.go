package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// Shell completion scripts. bash and zsh ask the binary itself for
// candidates through cli's hidden --generate-bash-completion flag, so they
// never go stale; fish gets a static script generated from the command tree.
const bashCompletion = `# bash completion for flakedup; load with: source <(flakedup completion bash)
_flakedup_complete() {
  local cur opts
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  if [[ ${#COMPREPLY[@]} -eq 0 ]]; then COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -o filenames -F _flakedup_complete flakedup
`

const zshCompletion = `#compdef flakedup
# zsh completion for flakedup; load with: source <(flakedup completion zsh)
_flakedup() {
  local -a opts
  local cur="${words[-1]}"
  if [[ "$cur" == -* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} "$cur" --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ -n "${opts[1]}" ]]; then _describe 'values' opts; else _files; fi
}
compdef _flakedup flakedup
`

func completionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		ArgsUsage: "bash|zsh|fish",
		Description: `Prints a completion script for your shell. For example:

   source <(flakedup completion bash)        # in ~/.bashrc
   source <(flakedup completion zsh)         # in ~/.zshrc
   flakedup completion fish > ~/.config/fish/completions/flakedup.fish`,
		Action: func(c *cli.Context) error {
			switch c.Args().First() {
			case "bash":
				fmt.Fprint(e.stdout, bashCompletion)
			case "zsh":
				fmt.Fprint(e.stdout, zshCompletion)
			case "fish":
				script, err := c.App.ToFishCompletion()
				if err != nil {
					return badInput(fmt.Errorf("completion fish: %w", err))
				}
				fmt.Fprint(e.stdout, script)
			default:
				return badInput(fmt.Errorf("completion: want one of bash, zsh, fish (got %q)", c.Args().First()))
			}
			return nil
		},
	}
}
