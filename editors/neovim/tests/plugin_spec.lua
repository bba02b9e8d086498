-- The plugin in a real headless Neovim against the real server:
--   nvim --headless --clean -l plugin_spec.lua PLUGIN_DIR WORKSPACE TASKMARK
-- Opens the workspace's TODO.md, waits for diagnostics, and drives :Taskmark show, check, set,
-- new, list, next and archive (pickers answered by a script, as a user would), then checks buffers and files.
-- Prints `ok NAME` per step; exits non-zero on the first failure.

local plugin_dir, workspace, taskmark_bin = arg[1], arg[2], arg[3]
vim.opt.rtp:prepend(plugin_dir)
vim.o.swapfile = false

local harness = dofile(vim.fs.dirname(arg[0]) .. '/harness.lua')(nil)
local fail, check, wait, step = harness.fail, harness.check, harness.wait, harness.step

local function read(path)
  return harness.read_file(workspace .. '/' .. path)
end

-- Scripted answers for vim.ui.select / vim.ui.input, in order; each records what was offered.
local answers, offered = {}, {}
vim.ui.select = function(items, opts, on_choice)
  local answer = table.remove(answers, 1)
  check(answer ~= nil, 'an unexpected picker: ' .. tostring(opts.prompt))
  local labels = {}
  for _, item in ipairs(items) do
    table.insert(labels, opts.format_item and opts.format_item(item) or tostring(item))
  end
  table.insert(offered, { prompt = opts.prompt, labels = labels })
  for index, label in ipairs(labels) do
    if label:find(answer, 1, true) then
      on_choice(items[index], index)
      return
    end
  end
  fail('no item matching `' .. answer .. '` in ' .. vim.inspect(labels))
end
vim.ui.input = function(opts, on_confirm)
  local answer = table.remove(answers, 1)
  table.insert(offered, { prompt = opts.prompt })
  on_confirm(answer)
end

local notes = {}
local original_notify = vim.notify
vim.notify = function(message, level, opts)
  table.insert(notes, message)
  return original_notify(message, level, opts)
end

local taskmark = require('taskmark')
taskmark.setup({ path = taskmark_bin })

local todo_path = workspace .. '/specs/TODO.md'
local expected_total = 0

step('roots a repository where `taskmark check` does, whatever tracker folder is inside', function()
  -- A tracker under `.opencode/specs/` was rooted at `.opencode/` (its `specs/TODO.md` marker came
  -- before `.git`): 76 false broken links, and an agent's change never reached the buffer.
  local repository = vim.fn.tempname()
  vim.fn.mkdir(repository .. '/.git', 'p')
  vim.fn.mkdir(repository .. '/.opencode/specs', 'p')
  vim.fn.writefile({ '### 1. One', '- **Status**: [PLANNED]' }, repository .. '/.opencode/specs/TODO.md')
  local found = taskmark.find_root(repository .. '/.opencode/specs/TODO.md')
  check(found == vim.fs.normalize(repository), 'root: ' .. tostring(found))
  -- Outside any repository, the tracker's own folder markers still root it.
  local loose = vim.fn.tempname()
  vim.fn.mkdir(loose .. '/specs', 'p')
  vim.fn.writefile({ '### 1. One' }, loose .. '/specs/TODO.md')
  check(taskmark.find_root(loose .. '/specs/TODO.md') == vim.fs.normalize(loose), 'loose: ' .. tostring(taskmark.find_root(loose .. '/specs/TODO.md')))
end)

step('attaches to TODO.md under the tracker root and publishes the workspace diagnostics', function()
  check(taskmark.find_root(todo_path) == workspace, 'root: ' .. tostring(taskmark.find_root(todo_path)))
  vim.cmd.edit(vim.fn.fnameescape(todo_path))
  wait('the server', 20000, function()
    return taskmark.client() ~= nil
  end)
  check(taskmark.client().root_dir == workspace, 'root_dir ' .. tostring(taskmark.client().root_dir))
  local expected = vim.json.decode(
    vim.system({ taskmark_bin, 'check', '.', '--no-baseline', '--format', 'json' }, { cwd = workspace, text = true }):wait().stdout
  )
  local wanted = {}
  expected_total = #expected.diagnostics
  for _, diagnostic in ipairs(expected.diagnostics) do
    if diagnostic.file == 'specs/TODO.md' then
      table.insert(wanted, diagnostic.range.start.line .. ' ' .. diagnostic.code)
    end
  end
  table.sort(wanted)
  local got
  wait('TODO.md diagnostics', 20000, function()
    got = {}
    for _, diagnostic in ipairs(vim.diagnostic.get(0)) do
      table.insert(got, diagnostic.lnum .. ' ' .. tostring(diagnostic.code))
    end
    table.sort(got)
    return table.concat(got, ',') == table.concat(wanted, ',')
  end)
  check(#wanted >= 3, 'the example has findings in TODO.md')
end)

step(':Taskmark check lists every file the server reported on', function()
  wait('every file\'s diagnostics', 20000, function()
    return #vim.diagnostic.get(nil) == expected_total
  end)
  local list = taskmark.check()
  check(#list == expected_total, #list .. ' quickfix items for ' .. expected_total .. ' diagnostics')
  local files = {}
  for _, item in ipairs(list) do
    files[vim.fn.fnamemodify(vim.api.nvim_buf_get_name(item.bufnr), ':t')] = true
  end
  check(files['state.json'] and files['TODO.md'] and files['implementation-001.md'], vim.inspect(files))
  check(vim.fn.getqflist({ title = 1 }).title == 'taskmark check', 'the quickfix title')
  vim.cmd('cclose')
end)

step(':Taskmark show draws the task across files in a float', function()
  taskmark.last_float = nil
  vim.cmd('Taskmark show 12')
  wait('the float', 10000, function()
    return taskmark.last_float ~= nil
  end)
  local text = table.concat(taskmark.last_float.lines, '\n')
  check(text:find('Task 12 — Sync engine with retry queue', 1, true) ~= nil, text)
  check(text:find('✗ plan header', 1, true) ~= nil, text)
  check(text:find('specs/state.json:7', 1, true) ~= nil, text)
  vim.api.nvim_win_close(taskmark.last_float.winid, true)
end)

step(':Taskmark set asks for the task (the one under the cursor first) and the status, and writes', function()
  vim.api.nvim_set_current_buf(vim.fn.bufnr(todo_path))
  local line = vim.fn.search('^### 14\\. ', 'w')
  check(line > 0, 'the section of task 14')
  answers = { '14', '[IMPLEMENTING]', 'Write them' }
  offered = {}
  vim.cmd('Taskmark set')
  wait('the change on disk', 20000, function()
    return read('specs/TODO.md'):find('- **14** [IMPLEMENTING]', 1, true) ~= nil
  end)
  check(offered[1].labels[1]:match('^14 ') ~= nil, 'the task under the cursor comes first: ' .. offered[1].labels[1])
  check(offered[2].labels[1] == '[REVISING]', 'allowed statuses first: ' .. vim.inspect(offered[2].labels))
  -- The statuses only force reaches wait behind one entry, not one entry each.
  local labels = offered[2].labels
  check(labels[#labels] == 'Force another status…', 'one way to force, last: ' .. vim.inspect(labels))
  for index = 1, #labels - 1 do
    check(labels[index]:find('Force', 1, true) == nil, 'allowed statuses only above it: ' .. vim.inspect(labels))
  end
  local bufnr = vim.fn.bufnr(todo_path)
  check(not vim.bo[bufnr].modified, 'the buffer was written')
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  check(vim.tbl_contains(lines, '- **14** [IMPLEMENTING] — Conflict resolution UI'), 'the buffer has the new Task Order line')
  -- The files no buffer held were written by the server itself, not opened as buffers.
  check(read('specs/state.json'):find('"status": "implementing",\n      "created": "2026-10-03', 1, true) ~= nil, read('specs/state.json'))
  check(read('specs/014_conflict_ui/plans/implementation-001.md'):find('**Status**: [IN PROGRESS]', 1, true) ~= nil, 'the plan header')
  check(vim.fn.bufloaded(workspace .. '/specs/state.json') == 0, 'state.json was not loaded into a buffer')
  check(#answers == 0, 'every scripted answer was used')
end)

step(':Taskmark set asks for the reason a status needs', function()
  answers = { 'waiting on the vendor', 'Write them' }
  offered = {}
  vim.cmd('Taskmark set 13 blocked')
  wait('the blocked status on disk', 20000, function()
    return read('specs/TODO.md'):find('**Blocking Reason**: waiting on the vendor', 1, true) ~= nil
  end)
  check(offered[1].prompt == 'Blocking Reason: ', 'asked for the reason: ' .. vim.inspect(offered[1]))
end)

step(':Taskmark new writes the task in every store, the open TODO.md through its buffer', function()
  vim.api.nvim_set_current_buf(vim.fn.bufnr(todo_path))
  local state_before = read('specs/state.json')
  answers = { 'Write them' }
  offered = {}
  vim.cmd('Taskmark new --priority=high --depends-on=12 --plan Webhooks for status changes')
  wait('the new task written', 20000, function()
    return read('specs/TODO.md'):find('### 17. Webhooks for status changes', 1, true) ~= nil
  end)
  check(offered[1].prompt:find('taskmark changed 1 buffer', 1, true) ~= nil, vim.inspect(offered))
  local todo = read('specs/TODO.md')
  check(todo:find('- **17** [NOT STARTED] — Webhooks for status changes', 1, true) ~= nil, todo)
  check(todo:find('- **Dependencies**: 12', 1, true) ~= nil, todo)
  check(not vim.bo[vim.fn.bufnr(todo_path)].modified, 'the buffer was written')
  -- The closed and new files were written by the server, not opened as buffers.
  local state = read('specs/state.json')
  check(state ~= state_before and state:find('"project_number": 17', 1, true) ~= nil, state)
  local plan = 'specs/017_webhooks_for_status_changes/plans/implementation-001.md'
  check(read(plan):find('Webhooks for status changes', 1, true) ~= nil, 'the plan skeleton')
  check(vim.fn.bufloaded(workspace .. '/' .. plan) == 0, 'the plan was not loaded into a buffer')
  check(#answers == 0, 'every scripted answer was used')
end)

step(':Taskmark new asks for the title, and a refusal writes nothing', function()
  answers = { 'Audit export', 'Write them' }
  offered = {}
  vim.cmd('Taskmark new')
  wait('the second task written', 20000, function()
    return read('specs/TODO.md'):find('### 18. Audit export', 1, true) ~= nil
  end)
  check(offered[1].prompt == 'New task title: ', 'asked for the title: ' .. vim.inspect(offered[1]))
  local state = read('specs/state.json')
  notes = {}
  vim.cmd('Taskmark new --depends-on=99 Depends on nothing')
  wait('the refusal', 20000, function()
    for _, message in ipairs(notes) do
      if message:find('unknown dependency `99`', 1, true) then
        return true
      end
    end
    return false
  end)
  check(read('specs/state.json') == state, 'nothing was written')
  check(read('specs/TODO.md'):find('Depends on nothing', 1, true) == nil, 'nothing was written to TODO.md')
end)

step(':Taskmark list ready offers the ready tasks and jumps to the one picked', function()
  vim.cmd('enew')
  answers = { '16 ' }
  offered = {}
  vim.cmd('Taskmark list ready')
  wait('the jump to task 16', 20000, function()
    return vim.api.nvim_buf_get_name(0) == todo_path and vim.api.nvim_get_current_line():find('^### 16%. ') ~= nil
  end)
  local ids = {}
  for _, label in ipairs(offered[1].labels) do
    table.insert(ids, label:match('^(%S+)'))
  end
  check(table.concat(ids, ',') == '15,16,18', 'ready tasks: ' .. vim.inspect(offered[1].labels))
  answers = { '12 ' }
  offered = {}
  vim.cmd('Taskmark list kind=active')
  wait('the jump to task 12', 20000, function()
    return vim.api.nvim_get_current_line():find('^### 12%. ') ~= nil
  end)
  check(#offered[1].labels == 2, 'active tasks: ' .. vim.inspect(offered[1].labels))
end)

step(':Taskmark next offers the ready tasks best first, with why, and opens the one picked', function()
  vim.cmd('enew')
  answers = { '16 ' }
  offered = {}
  vim.cmd('Taskmark next')
  wait('the jump to task 16', 20000, function()
    if vim.api.nvim_buf_get_name(0) ~= todo_path then
      return false
    end
    local row = vim.api.nvim_win_get_cursor(0)[1]
    local above = vim.api.nvim_buf_get_lines(0, 0, row, false)
    for index = #above, 1, -1 do
      if above[index]:find('^###? ') then
        return above[index]:find('^### 16%. ') ~= nil
      end
    end
    return false
  end)
  check(offered[1].prompt == 'Next task:', 'asked: ' .. vim.inspect(offered[1]))
  local ids = {}
  for _, label in ipairs(offered[1].labels) do
    table.insert(ids, label:match('^(%S+)'))
  end
  -- The same tasks `:Taskmark list ready` offers, ranked, each saying why.
  table.sort(ids)
  check(table.concat(ids, ',') == '15,16,18', 'ready tasks: ' .. vim.inspect(offered[1].labels))
  check(offered[1].labels[1]:find('— priority', 1, true) ~= nil, 'with the reasons: ' .. vim.inspect(offered[1].labels))
end)

step(':Taskmark board opens the daemon\'s board in the browser', function()
  local opened = {}
  local real_open = vim.ui.open
  vim.ui.open = function(url)
    table.insert(opened, url)
    return nil, nil
  end
  vim.cmd('Taskmark board')
  wait('the browser asked to open the board', 20000, function()
    return #opened > 0
  end)
  vim.ui.open = real_open
  local url = opened[1]
  local address, number, token = url:match('^http://(127%.0%.0%.1:%d+)/board/(%d+)/%?token=(%x+)$')
  check(address ~= nil and #token == 64, 'a loopback address with the token: ' .. url)
  -- What the page asks for first: the board's data, with the token.
  local data = vim.system({
    'curl', '-sS', '-H', 'X-Taskmark-Token: ' .. token, 'http://' .. address .. '/api/' .. number .. '/board',
  }, { text = true }):wait(20000)
  local ok, answer = pcall(vim.json.decode, data.stdout or '')
  check(ok and type(answer) == 'table' and type(answer.board) == 'table', 'the board answers: ' .. (data.stdout or '') .. (data.stderr or ''))
  local tasks = {}
  for _, card in ipairs(answer.board.cards) do
    tasks[card.task] = card.status
  end
  check(tasks['specs:12'] ~= nil, 'the board shows task 12: ' .. vim.inspect(tasks))
  local refused = vim.system({ 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://' .. address .. '/api/' .. number .. '/board' }, { text = true }):wait(20000)
  check(refused.stdout == '401', 'without the token: ' .. (refused.stdout or ''))
end)

step(':Taskmark archive asks, then archives every finished task', function()
  vim.api.nvim_set_current_buf(vim.fn.bufnr(todo_path))
  check(read('specs/TODO.md'):find('10. Settings screen', 1, true) ~= nil, 'task 10 is in TODO.md')
  answers = { 'Archive them', 'Write them' }
  offered = {}
  vim.cmd('Taskmark archive')
  wait('the archived sections gone from TODO.md on disk', 20000, function()
    local text = read('specs/TODO.md')
    return text:find('10. Settings screen', 1, true) == nil and text:find('11. Offline cache', 1, true) == nil
  end)
  check(offered[1].prompt == 'Archive 2 finished task(s): 10, 11?', 'asked: ' .. vim.inspect(offered[1]))
  check(not vim.bo[vim.fn.bufnr(todo_path)].modified, 'the buffer was written')
  notes = {}
  vim.cmd('Taskmark archive 14')
  wait('the refusal', 20000, function()
    for _, message in ipairs(notes) do
      if message:find('not finished', 1, true) then
        return true
      end
    end
    return false
  end)
end)

step('a change from the command line reloads the clean buffer, which stays unmodified', function()
  local bufnr = vim.fn.bufnr(todo_path)
  vim.api.nvim_set_current_buf(bufnr)
  check(not vim.bo[bufnr].modified, 'the buffer starts clean')
  local done
  vim.system(
    { taskmark_bin, 'set', '14', 'blocked', '--reason', 'set from a terminal' },
    { cwd = workspace, text = true },
    function(result)
      done = result
    end
  )
  wait('the command and the reloaded buffer', 20000, function()
    local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
    return done ~= nil and text:find('**Blocking Reason**: set from a terminal', 1, true) ~= nil
  end)
  check(done.code == 0, vim.inspect(done))
  check(done.stdout:find('through the taskmark daemon', 1, true) ~= nil, done.stdout)
  check(read('specs/TODO.md'):find('**Blocking Reason**: set from a terminal', 1, true) ~= nil, 'on disk')
  check(not vim.bo[bufnr].modified, 'the buffer is as the disk has it, unmodified')
end)

step('a fix from the command line reloads the clean buffer too, right after a save', function()
  local bufnr = vim.fn.bufnr(todo_path)
  vim.api.nvim_set_current_buf(bufnr)
  -- A wrong counter, saved: the buffer is clean and the disk has what taskmark fix repairs,
  -- within the second Neovim's own timestamp check cannot tell apart.
  local counter = '^  not_started: %d+$'
  local wrong = '  not_started: 99'
  local set = false
  for index, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if line:match(counter) then
      vim.api.nvim_buf_set_lines(bufnr, index - 1, index, false, { wrong })
      set = true
      break
    end
  end
  check(set, 'the example counts its tasks in the front matter')
  vim.cmd('silent write')
  local done
  vim.system({ taskmark_bin, 'fix', '--code', 'stale-counts' }, { cwd = workspace, text = true }, function(result)
    done = result
  end)
  local function fixed()
    for _, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
      if line:match(counter) and line ~= wrong then
        return line
      end
    end
  end
  wait('the fix and the reloaded buffer', 20000, function()
    return done ~= nil and fixed() ~= nil
  end)
  check(done.code == 0, vim.inspect(done))
  check(done.stdout:find('through the taskmark daemon', 1, true) ~= nil, done.stdout)
  check(read('specs/TODO.md'):find(fixed() .. '\n', 1, true) ~= nil, 'on disk')
  check(not vim.bo[bufnr].modified, 'the buffer is as the disk has it, unmodified')
end)

step(':checkhealth taskmark reports the binary, the server and the configuration', function()
  vim.cmd('checkhealth taskmark')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  check(text:find('found ' .. taskmark_bin, 1, true) ~= nil, text)
  check(text:find('taskmark 0%.') ~= nil, text)
  check(text:find('served by daemon process', 1, true) ~= nil, text)
  check(text:find('configuration is valid', 1, true) ~= nil, text)
end)

step(':checkhealth taskmark without a .taskmark.toml says built-in profiles, not "valid"', function()
  check(os.remove(workspace .. '/.taskmark.toml'), 'the example has a .taskmark.toml')
  vim.cmd('checkhealth taskmark')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  check(text:find('no .taskmark.toml in ', 1, true) ~= nil, text)
  check(text:find('built-in profiles', 1, true) ~= nil, text)
  check(text:find('configuration is valid', 1, true) == nil, text)
end)

vim.lsp.stop_client(vim.lsp.get_clients({ name = 'taskmark' }), true)
vim.cmd('qall!')
