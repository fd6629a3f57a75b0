"""`monitor completion bash|zsh`: a shell completion script generated from the parser itself.

Hand-written rather than shtab: the parser is plain argparse with one level of actions, so
walking it takes a few dozen lines and no dependency, and the script can never lag behind a new
command because it is generated from the same ``build_parser()`` the CLI runs.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("completion", help="print a shell completion script (bash or zsh)",
                       description="Print a completion script. bash: source <(monitor completion bash); "
                                   "zsh: source <(monitor completion zsh) (after compinit).")
    p.add_argument("shell", choices=["bash", "zsh"])
    p.set_defaults(func=run)


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]]]:
    """Top-level words, and for each command (and 'command action') the words that may follow."""
    from monitor.cli import build_parser

    root = build_parser()
    follow: dict[str, list[str]] = {}

    def options(p: argparse.ArgumentParser) -> list[str]:
        return [o for a in p._actions for o in a.option_strings if o.startswith("--")]

    def subs(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                return dict(a.choices)
        return {}

    top = [*subs(root), *options(root)]
    for name, cmd in subs(root).items():
        follow[name] = [*subs(cmd), *options(cmd)]
        for action, p in subs(cmd).items():
            follow[f"{name} {action}"] = options(p)
    return top, follow


def script(shell: str) -> str:
    top, follow = _words(argparse.ArgumentParser())
    pairs = "\n".join(f'      "{key}") words="{" ".join(words)}" ;;' for key, words in sorted(follow.items())
                      if " " in key)
    singles = "\n".join(f'      "{key}") words="{" ".join(words)}" ;;' for key, words in sorted(follow.items())
                        if " " not in key)
    body = f"""_monitor_complete() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" i w cmd="" act="" words=""
    for ((i = 1; i < COMP_CWORD; i++)); do
      w="${{COMP_WORDS[i]}}"
      [[ "$w" == -* ]] && continue
      if [ -z "$cmd" ]; then cmd="$w"; elif [ -z "$act" ]; then act="$w"; fi
    done
    case "$cmd $act" in
{pairs}
    esac
    if [ -z "$words" ]; then
      case "$cmd" in
{singles}
      "") words="{" ".join(top)}" ;;
      esac
    fi
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}}
"""
    if shell == "bash":
        return body + "complete -o default -F _monitor_complete monitor\n"
    return ("#compdef monitor\nautoload -U +X bashcompinit && bashcompinit\n" + body
            + "complete -o default -F _monitor_complete monitor\n")


def run(args: argparse.Namespace) -> int:
    print(script(args.shell), end="")
    return 0
