-- `vim.lsp.enable('taskmark')` without setup(), in a real headless Neovim against the real server:
--   nvim --headless --clean -l enable_spec.lua PLUGIN_DIR WORKSPACE TASKMARK
-- `taskmark` is on $PATH (the test puts it there, as `cargo install` would); the plugin folder is
-- on 'runtimepath' and its plugin/ file sourced, as a plugin manager does. lsp/taskmark.lua
-- alone must attach the server to the tracker's files with the right root, send its settings as
-- objects, and :Taskmark must work.

local plugin_dir, workspace = arg[1], arg[2]
vim.opt.rtp:prepend(plugin_dir)
vim.o.swapfile = false
vim.cmd('runtime! plugin/taskmark.lua')

local harness = dofile(vim.fs.dirname(arg[0]) .. '/harness.lua')(nil)
local check, wait, step = harness.check, harness.wait, harness.step

step("vim.lsp.enable('taskmark') attaches lsp/taskmark.lua's server to TODO.md and state.json", function()
  check(vim.fn.exepath('taskmark') ~= '', 'taskmark is on $PATH for this test')
  vim.lsp.enable('taskmark')
  local config = vim.lsp.config.taskmark
  check(config.cmd[1] == 'taskmark' and config.cmd[2] == 'lsp', vim.inspect(config.cmd))
  check(vim.tbl_contains(config.filetypes, 'markdown') and vim.tbl_contains(config.filetypes, 'json'), vim.inspect(config.filetypes))
  check(vim.deep_equal(config.root_markers[1], { '.taskmark.toml', '.git' }), vim.inspect(config.root_markers))
  vim.cmd.edit(vim.fn.fnameescape(workspace .. '/specs/TODO.md'))
  wait('the server to attach', 20000, function()
    local clients = vim.lsp.get_clients({ name = 'taskmark', bufnr = 0 })
    return #clients == 1 and clients[1].initialized
  end)
  local client = vim.lsp.get_clients({ name = 'taskmark', bufnr = 0 })[1]
  check(client.root_dir == workspace, 'root_dir ' .. tostring(client.root_dir))
  check(vim.json.encode(client.config.init_options) == '{}', 'init_options ' .. vim.json.encode(client.config.init_options))
  check(vim.json.encode(client.settings) == '{"taskmark":{}}', 'settings ' .. vim.json.encode(client.settings))
  wait('TODO.md diagnostics', 20000, function()
    return #vim.diagnostic.get(0) > 0
  end)
  vim.cmd.edit(vim.fn.fnameescape(workspace .. '/specs/state.json'))
  wait('state.json attached to the same client', 20000, function()
    local clients = vim.lsp.get_clients({ name = 'taskmark', bufnr = 0 })
    return #clients == 1 and clients[1].id == client.id
  end)
end)

step(':Taskmark (from plugin/taskmark.lua) works without setup()', function()
  local float
  local open = vim.lsp.util.open_floating_preview
  vim.lsp.util.open_floating_preview = function(lines, ...)
    float = lines
    return open(lines, ...)
  end
  vim.cmd('Taskmark show 12')
  wait('the float', 20000, function()
    return float ~= nil
  end)
  check(table.concat(float, '\n'):find('Task 12 — Sync engine with retry queue', 1, true) ~= nil, table.concat(float, '\n'))
end)

vim.lsp.stop_client(vim.lsp.get_clients({ name = 'taskmark' }), true)
vim.cmd('qall!')
