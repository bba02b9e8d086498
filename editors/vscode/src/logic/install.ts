// The page the "Install instructions" button shows when the server is missing.
// No `vscode` import: unit-tested with plain node.

/** Markdown: why the server was not started, and how to install it (as the repo README says). */
export function installInstructions(problem: string, tried: string[]): string {
  const lines = [
    '# Installing the taskmark language server',
    '',
    `**${problem}**`,
    '',
    'The extension starts `taskmark lsp`. The platform packages of the extension',
    '(`taskmark-linux-x64-<version>.vsix` and the like) carry the server inside; this one does',
    'not, or its binary cannot run here. Install a platform package, or build and install the',
    '`taskmark` executable from the taskmark repository (Rust 1.89 or newer):',
    '',
    '```sh',
    'git clone <the taskmark repository> && cd taskmark',
    'cargo install --locked --path server/cli      # puts taskmark in ~/.cargo/bin',
    'taskmark --version',
    '```',
    '',
    'or build it in place (`cargo build --release`, binary in `target/release/taskmark`) and set',
    '**`taskmark.server.path`** to the binary in the settings. The repository README, section',
    '*Quick start*, has the details.',
    '',
    'Then run **Taskmark: Restart Server** from the command palette.',
  ];
  if (tried.length) {
    lines.push('', 'Looked for:', '', ...tried.map((it) => `- \`${it}\``));
  }
  return lines.join('\n') + '\n';
}
