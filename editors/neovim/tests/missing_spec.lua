-- The `taskmark` executable missing, in a real headless Neovim:
--   nvim --headless --clean -l missing_spec.lua PLUGIN_DIR WORKSPACE TASKMARK MODE OUTSIDE
-- $PATH has no taskmark (the test sees to it). MODE is `setup` (require('taskmark').setup({}))
-- or `enable` (vim.lsp.enable('taskmark'), the plugin/ file sourced). OUTSIDE is a markdown
-- file under no tracker root. Opening it says nothing; opening tracker files says once that the
-- executable is missing, pointing at :checkhealth taskmark, which says what to do.

local plugin_dir, workspace, mode, outside = arg[1], arg[2], arg[4], arg[5]
vim.opt.rtp:prepend(plugin_dir)
vim.o.swapfile = false

local harness = dofile(vim.fs.dirname(arg[0]) .. '/harness.lua')(mode)
local check, step = harness.check, harness.step

local notes = {}
vim.notify = function(message, level)
  table.insert(notes, { message = message, level = level })
end

if mode == 'setup' then
  require('taskmark').setup({})
else
  vim.cmd('runtime! plugin/taskmark.lua')
  vim.lsp.enable('taskmark')
end

-- Lets the scheduled callbacks (vim.lsp.enable's, setup()'s) run.
local function settle()
  vim.wait(300, function()
    return false
  end)
end

step('a markdown file under no tracker root: no notice', function()
  check(vim.fn.exepath('taskmark') == '', 'taskmark is not on $PATH for this test')
  settle()
  vim.cmd.edit(vim.fn.fnameescape(outside))
  settle()
  check(vim.bo.filetype == 'markdown', 'filetype ' .. vim.bo.filetype)
  check(#notes == 0, vim.inspect(notes))
end)

step('tracker files: one notice, pointing at :checkhealth taskmark', function()
  for _, path in ipairs({ 'specs/TODO.md', 'specs/state.json', 'README.md', 'specs/012_sync_engine/plans/implementation-001.md' }) do
    vim.cmd.edit(vim.fn.fnameescape(workspace .. '/' .. path))
    settle()
  end
  check(#notes == 1, 'notices: ' .. vim.inspect(notes))
  local note = notes[1]
  check(note.level == vim.log.levels.WARN, 'level ' .. tostring(note.level))
  check(note.message:find('`taskmark` is not executable or not on $PATH', 1, true) ~= nil, note.message)
  check(note.message:find(':checkhealth taskmark', 1, true) ~= nil, note.message)
  check(#vim.lsp.get_clients({ name = 'taskmark' }) == 0, 'no client')
end)

step(':checkhealth taskmark says the executable is missing and how to install it', function()
  vim.cmd('checkhealth taskmark')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  check(text:find('`taskmark` is not executable or not on $PATH', 1, true) ~= nil, text)
  check(text:find('cargo install --locked --path server/cli', 1, true) ~= nil, text)
end)

vim.cmd('qall!')
