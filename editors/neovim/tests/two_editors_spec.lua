-- Two real headless Neovims on one daemon; this spec is one of them:
--   nvim --headless --clean -l two_editors_spec.lua PLUGIN_DIR WORKSPACE TASKMARK ROLE SYNC_DIR
-- ROLE `follower` opens TODO.md, says it is ready (a file in SYNC_DIR), and waits until a status
-- change made in the other Neovim shows in its buffer, unsaved and without a re-read, with a
-- notification naming where it came from, then until a task created in the other Neovim does.
-- ROLE `setter` waits for that, runs `:Taskmark set 14 implementing` and writes its buffers,
-- then `:Taskmark new Webhooks`. Both print the daemon's pid (`pid N`) so the caller can
-- check they shared one. Prints `ok NAME` per step; exits non-zero on the first failure.

local plugin_dir, workspace, taskmark_bin, role, sync = arg[1], arg[2], arg[3], arg[4], arg[5]
vim.opt.rtp:prepend(plugin_dir)
vim.o.swapfile = false

local harness = dofile(vim.fs.dirname(arg[0]) .. '/harness.lua')(role)
local check, wait, step = harness.check, harness.wait, harness.step

local function signal(name)
  local file = assert(io.open(sync .. '/' .. name, 'w'))
  file:write(role)
  file:close()
end

local function signalled(name)
  return vim.uv.fs_stat(sync .. '/' .. name) ~= nil
end

local notifications = {}
local original_notify = vim.notify
vim.notify = function(message, level, opts)
  table.insert(notifications, message)
  return original_notify(message, level, opts)
end
-- The setter's "write the changed buffers?" question.
vim.ui.select = function(items, _, on_choice)
  for index, item in ipairs(items) do
    if tostring(item):find('Write', 1, true) then
      return on_choice(item, index)
    end
  end
  on_choice(nil, nil)
end

local taskmark = require('taskmark')
taskmark.setup({ path = taskmark_bin })
local todo_path = workspace .. '/specs/TODO.md'
local new_line = '- **14** [IMPLEMENTING] — Conflict resolution UI'

step(role .. ' attaches to the shared daemon', function()
  vim.cmd.edit(vim.fn.fnameescape(todo_path))
  wait('the server', 20000, function()
    return taskmark.client() ~= nil
  end)
  wait('diagnostics', 20000, function()
    return #vim.diagnostic.get(0) > 0
  end)
  local info = taskmark.client():request_sync('taskmark/serverInfo', vim.NIL, 5000, 0)
  check(info and info.result and info.result.mode == 'daemon', 'served by the daemon: ' .. vim.inspect(info))
  io.stdout:write('pid ' .. tostring(info.result.pid) .. '\n')
end)

if role == 'follower' then
  step('the follower sees the other Neovim\'s change in its buffer and hears where it came from', function()
    signal('follower-ready')
    local bufnr = vim.fn.bufnr(todo_path)
    wait('the change in this buffer', 30000, function()
      return vim.tbl_contains(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), new_line)
    end)
    wait('the notification', 10000, function()
      for _, message in ipairs(notifications) do
        if message:find('task specs:14: [PLANNED] → [IMPLEMENTING]', 1, true) and message:find('Neovim', 1, true) then
          return true
        end
      end
      return false
    end)
    -- Edited by the daemon's broadcast, not re-read from disk: the buffer holds the change unsaved.
    check(vim.bo[bufnr].modified, 'the follower\'s buffer is modified, not reloaded')
    signal('follower-done')
  end)
  step('the follower sees a task created in the other Neovim in its buffer', function()
    local bufnr = vim.fn.bufnr(todo_path)
    wait('the new section in this buffer', 30000, function()
      return vim.tbl_contains(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '### 17. Webhooks')
    end)
    wait('the notification', 10000, function()
      for _, message in ipairs(notifications) do
        if message:find('new task specs:17: Webhooks [NOT STARTED]', 1, true) then
          return true
        end
      end
      return false
    end)
    signal('follower-new-done')
  end)
else
  step('the setter changes task 14 once the follower is watching', function()
    wait('the follower', 30000, function()
      return signalled('follower-ready')
    end)
    vim.cmd('Taskmark set 14 implementing')
    local bufnr = vim.fn.bufnr(todo_path)
    wait('the change in the setter\'s buffer, written', 20000, function()
      return vim.tbl_contains(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), new_line) and not vim.bo[bufnr].modified
    end)
    -- Stay connected until the follower has it, so the daemon is not left idle mid-broadcast.
    wait('the follower', 30000, function()
      return signalled('follower-done')
    end)
  end)
  step('the setter creates a task the follower sees', function()
    vim.cmd('Taskmark new Webhooks')
    local bufnr = vim.fn.bufnr(todo_path)
    wait('the new section in the setter\'s buffer, written', 20000, function()
      return vim.tbl_contains(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '### 17. Webhooks')
        and not vim.bo[bufnr].modified
    end)
    wait('the follower', 30000, function()
      return signalled('follower-new-done')
    end)
  end)
end

vim.lsp.stop_client(vim.lsp.get_clients({ name = 'taskmark' }), true)
vim.cmd('qall!')
