-- :Taskmark new where the new section goes at the very end of TODO.md, in a real headless
-- Neovim against the real server:
--   nvim --headless --clean -l new_at_end_spec.lua PLUGIN_DIR WORKSPACE TASKMARK SPECS TITLE...
-- Opens SPECS/TODO.md (SPECS: the tracker's folder in WORKSPACE), runs `:Taskmark new TITLE`
-- once per title (picking SPECS's tracker when asked), writes the buffer each time ('Write
-- them'), and checks that every one was answered as written, with its own id, in the buffer and
-- in SPECS/state.json alike; then spoils the edit in Neovim twice and checks that the buffer is
-- set back and nothing is written. Prints `ok NAME` per step and `id N ID` per task; exits
-- non-zero on the first failure.

local plugin_dir, workspace, taskmark_bin, specs = arg[1], arg[2], arg[3], arg[4]
local titles = { unpack(arg, 5) }
vim.opt.rtp:prepend(plugin_dir)
vim.o.swapfile = false

local harness = dofile(vim.fs.dirname(arg[0]) .. '/harness.lua')(nil)
local check, wait, step = harness.check, harness.wait, harness.step

local function read(path)
  return harness.read_file(workspace .. '/' .. path)
end

-- Writes the buffers; picks the tracker whose folder is SPECS (named from the server's root).
vim.ui.select = function(items, opts, on_choice)
  for index, item in ipairs(items) do
    if item == 'Write them' or item == specs or vim.endswith(specs, '/' .. item) then
      on_choice(item, index)
      return
    end
  end
  harness.fail('an unexpected picker: ' .. tostring(opts.prompt) .. ' ' .. vim.inspect(items))
end

local notes = {}
vim.notify = function(message, level)
  table.insert(notes, { message = message, level = level })
end

local taskmark = require('taskmark')
taskmark.setup({ path = taskmark_bin })
local todo, state_json = specs .. '/TODO.md', specs .. '/state.json'
local todo_path = workspace .. '/' .. todo

step('attaches to TODO.md', function()
  vim.cmd.edit(vim.fn.fnameescape(todo_path))
  wait('the server', 20000, function()
    return taskmark.client() ~= nil and taskmark.client().initialized
  end)
end)

for index, title in ipairs(titles) do
  step(':Taskmark new ' .. title .. ' writes the section at the end of the buffer and the task in state.json', function()
    notes = {}
    vim.api.nvim_set_current_buf(vim.fn.bufnr(todo_path))
    vim.cmd('Taskmark new ' .. title)
    wait('the answer', 20000, function()
      return #notes > 0
    end)
    local said = notes[1]
    check(said.level ~= vim.log.levels.ERROR and said.message:find('new task ', 1, true) ~= nil, 'answered: ' .. said.message)
    local id = said.message:match('new task %S-(%d+):')
    check(id ~= nil, 'the answer names the new id: ' .. said.message)
    wait('the buffer written', 20000, function()
      return not vim.bo[vim.fn.bufnr(todo_path)].modified and read(todo):find('### ' .. id .. '. ' .. title, 1, true) ~= nil
    end)
    check(read(state_json):find('"project_number": ' .. id, 1, true) ~= nil, 'state.json has task ' .. id .. ':\n' .. read(state_json))
    local lines = vim.api.nvim_buf_get_lines(vim.fn.bufnr(todo_path), 0, -1, false)
    local text = read(todo)
    check(table.concat(lines, '\n') .. '\n' == text, 'the buffer is the file as written')
    io.stdout:write('id ' .. index .. ' ' .. id .. '\n')
  end)
end

-- The editor's part failing in Neovim: `spoil(bufnr, apply)` takes the place of applying the
-- edit once, and is to call `apply` itself.
local function spoiled_once(name, spoil, said)
  step(name, function()
    local bufnr = vim.fn.bufnr(todo_path)
    local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
    local todo_text, state_text = read(todo), read(state_json)
    local apply = vim.lsp.util.apply_workspace_edit
    vim.lsp.util.apply_workspace_edit = function(edit, encoding)
      vim.lsp.util.apply_workspace_edit = apply
      spoil(bufnr, function()
        apply(edit, encoding)
      end)
    end
    notes = {}
    -- Long enough after the last change for Neovim to send the next one at once rather than
    -- debounced (`next_debounce` in vim/lsp/_changetracking.lua): the case that let a change
    -- made after the edit arrive after the answer, and pass for a user's typing.
    vim.wait(300)
    vim.cmd('Taskmark new Spoiled')
    wait('the answer', 20000, function()
      return #notes > 0
    end)
    vim.lsp.util.apply_workspace_edit = apply
    check(notes[1].level == vim.log.levels.ERROR and notes[1].message:find(said, 1, true) ~= nil, 'answered: ' .. notes[1].message)
    wait('the buffer set back', 20000, function()
      return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n') == table.concat(lines, '\n')
    end)
    check(read(todo) == todo_text and read(state_json) == state_text, 'nothing was written on disk')
  end)
end

-- The buffer changed before the edit lands, so the edit lands on the wrong lines: the change
-- reaches the server before the answer or with the edit, never after it (a change made after
-- the editor applied the edit is its user's, and the edit was held).
spoiled_once('an edit Neovim says it applied but the buffer does not hold is set back, and nothing is written', function(bufnr, apply)
  vim.api.nvim_buf_set_lines(bufnr, 0, 0, false, { 'a line no one planned' })
  apply()
end, 'does not hold it; nothing was changed; run it again')

spoiled_once('an edit Neovim fails halfway is set back, and nothing is written', function(_, apply)
  apply()
  error('spoiled by the test')
end, 'spoiled by the test')

vim.lsp.stop_client(vim.lsp.get_clients({ name = 'taskmark' }), true)
vim.cmd('qall!')
