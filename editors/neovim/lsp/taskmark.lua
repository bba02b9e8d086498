-- The taskmark language server for `vim.lsp.enable('taskmark')` (Neovim 0.11+), without setup():
-- `taskmark lsp` (the executable on $PATH) for markdown and JSON files under a tracker root
-- (the nearest folder holding `.taskmark.toml` or `.git`, as `taskmark check` chooses; outside a
-- repository the nearest holding `specs/TODO.md`, else `TODO.md`), settings sent as JSON objects.
-- Change any field with vim.lsp.config('taskmark', {...}), e.g. `cmd = { '/path/to/taskmark', 'lsp' }`
-- or `root_markers = { '.taskmark.toml' }`.
-- With setup(), the same configuration is built from setup()'s options. See :help taskmark.
---@type vim.lsp.Config
return require('taskmark').lsp_config()
