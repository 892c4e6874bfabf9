import path from 'node:path';
import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import { CliError, EXIT } from '../output.js';

/** Commands whose argument is a task name or an @group. */
const TARGET_COMMANDS = ['status', 'start', 'stop', 'restart'];
/** Commands whose argument is one task. */
const TASK_COMMANDS = ['run', 'kill', 'logs', 'history', 'next', 'rm', 'scale'];

function bash(commands: string[]): string {
  return `# jobctl completion for bash: add to ~/.bashrc:  source <(jobctl completion bash)
_jobctl() {
  # Read the word from COMP_LINE, not COMP_WORDS: when COMP_WORDBREAKS holds "@" (some
  # setups add it), bash splits "@billing" into "@" and "billing".
  local line="\${COMP_LINE:0:\${COMP_POINT:-\${#COMP_LINE}}}"
  local cur="\${line##*[[:space:]]}"
  local -a words
  read -r -a words <<< "\${line% *}"
  [[ "$line" != *[[:space:]]* ]] && words=()
  local cmd="" nargs=0 home=() i w
  for (( i = 1; i < \${#words[@]}; i++ )); do
    w="\${words[i]}"
    if [[ "$w" == --home ]]; then home=(--home "\${words[i+1]}"); (( i++ )); continue; fi
    [[ "$w" == --home=* ]] && { home=("$w"); continue; }
    [[ "$w" == -* ]] && continue
    if [[ -z "$cmd" ]]; then cmd="$w"; else (( nargs++ )); fi
  done
  local cands=""
  if [[ -z "$cmd" ]]; then
    cands="${commands.join(' ')}"
  elif (( nargs == 0 )); then
    case "$cmd" in
      ${TARGET_COMMANDS.join('|')}) cands="$(jobctl "\${home[@]}" _complete targets 2>/dev/null) --all" ;;
      ${TASK_COMMANDS.join('|')}) cands="$(jobctl "\${home[@]}" _complete names 2>/dev/null)" ;;
      completion) cands="bash zsh" ;;
      install|uninstall) cands="systemd cron" ;;
      help) cands="keys ${commands.join(' ')}" ;;
    esac
  fi
  COMPREPLY=( $(compgen -W "$cands" -- "$cur") )
  # bash replaces only the text after the last word break: drop what comes before it.
  if [[ "$cur" == *@* && "$COMP_WORDBREAKS" == *@* ]]; then
    local pre="\${cur%@*}@"
    COMPREPLY=( "\${COMPREPLY[@]#"$pre"}" )
  fi
}
complete -F _jobctl jobctl
`;
}

function zsh(commands: string[]): string {
  return `#compdef jobctl
# jobctl completion for zsh: add to ~/.zshrc:  source <(jobctl completion zsh)
_jobctl() {
  local -a home
  local i=\${words[(i)--home]}
  (( i < CURRENT )) && home=(--home "\${words[i+1]}")
  local -a args=(\${words[2,CURRENT-1]:#-*})
  (( i < CURRENT )) && args=(\${args:#\${words[i+1]}})
  if (( \${#args} == 0 )); then
    compadd -- ${commands.join(' ')}
    return
  fi
  (( \${#args} == 1 )) || return
  case "\${args[1]}" in
    ${TARGET_COMMANDS.join('|')}) compadd -- --all \${(f)"$(jobctl $home _complete targets 2>/dev/null)"} ;;
    ${TASK_COMMANDS.join('|')}) compadd -- \${(f)"$(jobctl $home _complete names 2>/dev/null)"} ;;
    completion) compadd -- bash zsh ;;
    install|uninstall) compadd -- systemd cron ;;
    help) compadd -- keys ${commands.join(' ')} ;;
  esac
}
compdef _jobctl jobctl
`;
}

export function registerCompletion(program: Command, ctx: CliContext): void {
  program
    .command('completion')
    .argument('<shell>', 'bash or zsh')
    .description('print a shell completion script (commands, task names and @groups)')
    .addHelpText('after', '\nExamples:\n  source <(jobctl completion bash)\n  jobctl completion zsh > "${fpath[1]}/_jobctl"')
    .action(action(ctx, (shell: string) => {
      const commands = program.commands.map((c) => c.name()).filter((n) => !n.startsWith('_'));
      if (shell === 'bash') ctx.io.out(bash(commands));
      else if (shell === 'zsh') ctx.io.out(zsh(commands));
      else throw new CliError(`unknown shell "${shell}"; use bash or zsh`, EXIT.USAGE);
      return EXIT.OK;
    }));
  // Used by the completion scripts: from the local task files, no daemon needed.
  // names: task names; targets (or tasks): task names and @groups.
  program
    .command('_complete', { hidden: true })
    .argument('<what>')
    .action(action(ctx, async (what: string) => {
      if (!['tasks', 'targets', 'names'].includes(what)) return EXIT.USAGE;
      const { loadTaskDir } = await import('../../config/load.js');
      const set = loadTaskDir(path.join(ctx.home(), 'tasks'));
      const groups = what === 'names' ? [] : [...new Set(set.tasks.map((t) => `@${t.group}`))];
      ctx.io.out([...set.tasks.map((t) => t.name), ...groups].join('\n'));
      return EXIT.OK;
    }));
}
