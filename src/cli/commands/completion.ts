import path from 'node:path';
import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import { CliError, EXIT } from '../output.js';

const TASK_COMMANDS = ['status', 'start', 'stop', 'restart', 'run', 'kill', 'logs', 'history', 'next', 'rm', 'scale'];

function bash(commands: string[]): string {
  return `# jobctl completion for bash: add to ~/.bashrc:  source <(jobctl completion bash)
_jobctl() {
  local cur prev cmd
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands.join(' ')}" -- "$cur") )
    return
  fi
  case "$cmd" in
    ${TASK_COMMANDS.join('|')})
      if [ "$COMP_CWORD" -eq 2 ]; then
        COMPREPLY=( $(compgen -W "$(jobctl _complete tasks 2>/dev/null)" -- "$cur") )
      fi ;;
    completion) COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ) ;;
    install|uninstall) COMPREPLY=( $(compgen -W "systemd cron" -- "$cur") ) ;;
  esac
}
complete -F _jobctl jobctl
`;
}

function zsh(commands: string[]): string {
  return `#compdef jobctl
# jobctl completion for zsh: add to ~/.zshrc:  source <(jobctl completion zsh)
_jobctl() {
  if (( CURRENT == 2 )); then
    compadd -- ${commands.join(' ')}
    return
  fi
  case "$words[2]" in
    ${TASK_COMMANDS.join('|')})
      (( CURRENT == 3 )) && compadd -- \${(f)"$(jobctl _complete tasks 2>/dev/null)"} ;;
    completion) compadd -- bash zsh ;;
    install|uninstall) compadd -- systemd cron ;;
  esac
}
compdef _jobctl jobctl
`;
}

export function registerCompletion(program: Command, ctx: CliContext): void {
  program
    .command('completion')
    .argument('<shell>', 'bash or zsh')
    .description('print a shell completion script (commands and task names)')
    .addHelpText('after', '\nExamples:\n  source <(jobctl completion bash)\n  jobctl completion zsh > "${fpath[1]}/_jobctl"')
    .action(action(ctx, (shell: string) => {
      const commands = program.commands.map((c) => c.name()).filter((n) => !n.startsWith('_'));
      if (shell === 'bash') ctx.io.out(bash(commands));
      else if (shell === 'zsh') ctx.io.out(zsh(commands));
      else throw new CliError(`unknown shell "${shell}"; use bash or zsh`, EXIT.USAGE);
      return EXIT.OK;
    }));
  // Used by the completion scripts: task names from the local task files, no daemon needed.
  program
    .command('_complete', { hidden: true })
    .argument('<what>')
    .action(action(ctx, async (what: string) => {
      if (what !== 'tasks') return EXIT.USAGE;
      const { loadTaskDir } = await import('../../config/load.js');
      const set = loadTaskDir(path.join(ctx.home(), 'tasks'));
      const groups = [...new Set(set.tasks.map((t) => `@${t.group}`))];
      ctx.io.out([...set.tasks.map((t) => t.name), ...groups].join('\n'));
      return EXIT.OK;
    }));
}
