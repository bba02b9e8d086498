-- setup()'s details in a real headless Neovim against the real server:
--   nvim --headless --clean -l setup_spec.lua PLUGIN_DIR WORKSPACE TASKMARK
-- What goes on the wire for `setup({})`'s settings (JSON objects, never `[]`), the
-- `virtual_lines = 'current_line'` option, the task picker's order, hovers without `command:`
-- links, and the help file (`:helptags`, `:help taskmark`, every tag and link). PLUGIN_DIR is a
-- copy of editors/neovim (`:helptags` writes doc/tags into it).

local plugin_dir, workspace, taskmark_bin = arg[1], arg[2], arg[3]
vim.opt.rtp:prepend(plugin_dir)
vim.o.swapfile = false

local harness = dofile(vim.fs.dirname(arg[0]) .. '/harness.lua')(nil)
local check, wait, step = harness.check, harness.wait, harness.step

-- Every message the client sends, as the JSON that goes on the wire (rpc.lua encodes the
-- same way): the initialize params' initializationOptions and didChangeConfiguration's settings.
local wire = {}
local start = vim.lsp.rpc.start
vim.lsp.rpc.start = function(cmd, dispatchers, opts)
  local rpc = start(cmd, dispatchers, opts)
  local spy = setmetatable({}, { __index = rpc })
  spy.request = function(method, params, ...)
    if method == 'initialize' then
      wire.initializationOptions = vim.json.encode(params.initializationOptions)
      wire.experimental = params.capabilities.experimental
    end
    return rpc.request(method, params, ...)
  end
  spy.notify = function(method, params)
    if method == 'workspace/didChangeConfiguration' then
      wire.settings = vim.json.encode(params.settings)
    end
    return rpc.notify(method, params)
  end
  return spy
end

-- Pickers are recorded and cancelled.
local offered = {}
vim.ui.select = function(items, opts, on_choice)
  local labels = {}
  for _, item in ipairs(items) do
    table.insert(labels, opts.format_item and opts.format_item(item) or tostring(item))
  end
  table.insert(offered, { prompt = opts.prompt, labels = labels })
  on_choice(nil, nil)
end

local taskmark = require('taskmark')
-- The README's setup({}), with the binary's path, and the current-line virtual lines.
taskmark.setup({ path = taskmark_bin, virtual_lines = 'current_line' })

local todo_path = workspace .. '/specs/TODO.md'

step('setup({}) sends its settings as JSON objects, never []', function()
  vim.cmd.edit(vim.fn.fnameescape(todo_path))
  wait('the server', 20000, function()
    local client = taskmark.client()
    return client ~= nil and client.initialized and wire.settings ~= nil
  end)
  check(wire.initializationOptions == '{}', 'initializationOptions on the wire: ' .. tostring(wire.initializationOptions))
  check(wire.settings == '{"taskmark":{}}', 'didChangeConfiguration settings on the wire: ' .. tostring(wire.settings))
  -- Nested empty tables too (a user's `rules = {}`), and a user's own vim.lsp.config() settings
  -- pass through before_init.
  check(vim.json.encode(taskmark.as_object({ rules = {}, codeLens = false })):find('"rules":{}', 1, true) ~= nil, 'nested')
  local params, config = { initializationOptions = { rules = {} } }, { settings = { taskmark = {} } }
  taskmark.lsp_config().before_init(params, config)
  check(vim.json.encode(params.initializationOptions) == '{"rules":{}}', vim.json.encode(params.initializationOptions))
  check(vim.json.encode(config.settings) == '{"taskmark":{}}', vim.json.encode(config.settings))
  -- And the server took them without a complaint (it logs problems with settings as warnings).
  -- (Neovim creates the log with its first line: no file is no line.)
  local log_file = vim.lsp.log.get_filename()
  local log = vim.uv.fs_stat(log_file) and table.concat(vim.fn.readfile(log_file), '\n') or ''
  check(log:find('must be an object', 1, true) == nil, 'the server complained about the settings:\n' .. log)
  -- Its stderr is Neovim's `[ERROR]` lines: no INFO there (the plugin asks for warnings only).
  check(not log:find('"stderr"%s+"[^"]* INFO '), 'INFO lines from the server in the LSP log as errors:\n' .. log)
end)

step("virtual_lines = 'current_line' shows the cursor line's diagnostics under it, only there", function()
  local client = taskmark.client()
  local namespace = vim.lsp.diagnostic.get_namespace(client.id, false)
  check(vim.deep_equal(vim.diagnostic.config(nil, namespace).virtual_lines, { current_line = true }), vim.inspect(vim.diagnostic.config(nil, namespace)))
  wait('TODO.md diagnostics', 20000, function()
    return #vim.diagnostic.get(0, { namespace = namespace }) > 0
  end)
  local lnum = vim.diagnostic.get(0, { namespace = namespace })[1].lnum
  local function virtual_lines()
    local rows = {}
    for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(0, -1, 0, -1, { details = true })) do
      if mark[4].virt_lines then
        rows[mark[2]] = true
      end
    end
    return rows
  end
  vim.api.nvim_win_set_cursor(0, { lnum + 1, 0 })
  vim.api.nvim_exec_autocmds('CursorMoved', { buffer = 0 })
  local rows = virtual_lines()
  check(rows[lnum] and vim.tbl_count(rows) == 1, 'virtual lines on rows ' .. vim.inspect(rows) .. ', the cursor on ' .. lnum)
  -- A line without a diagnostic: none.
  local quiet
  for row = 0, vim.api.nvim_buf_line_count(0) - 1 do
    if #vim.diagnostic.get(0, { lnum = row }) == 0 then
      quiet = row
      break
    end
  end
  vim.api.nvim_win_set_cursor(0, { quiet + 1, 0 })
  vim.api.nvim_exec_autocmds('CursorMoved', { buffer = 0 })
  check(vim.tbl_isempty(virtual_lines()), 'virtual lines with the cursor on a quiet line: ' .. vim.inspect(virtual_lines()))
end)

step("the task picker keeps the server's order, the task under the cursor first", function()
  local tasks
  taskmark.execute('taskmark.listTasks', {}, function(err, result)
    check(not err, vim.inspect(err))
    tasks = result
  end)
  wait('taskmark.listTasks', 20000, function()
    return tasks ~= nil
  end)
  check(#tasks >= 5, 'the example has tasks: ' .. vim.inspect(tasks))
  local line = vim.fn.search('^### 14\\. ', 'w')
  check(line > 0, 'the section of task 14')
  offered = {}
  vim.cmd('Taskmark set')
  wait('the task picker', 20000, function()
    return #offered > 0
  end)
  local expected = { '14' }
  for _, task in ipairs(tasks) do
    if task.id ~= '14' then
      table.insert(expected, task.id)
    end
  end
  local got = vim.tbl_map(function(label)
    return label:match('^(%S+)')
  end, offered[1].labels)
  check(table.concat(got, ',') == table.concat(expected, ','), 'offered ' .. table.concat(got, ',') .. ', the server\'s order ' .. table.concat(expected, ','))
  -- A long list (Lua's table.sort with a comparator that is not a strict order scrambles it).
  local many = {}
  for index = 1, 60 do
    many[index] = { task = 'specs:' .. index }
  end
  local ordered = taskmark.current_first(many, 'specs:31')
  check(ordered[1].task == 'specs:31' and #ordered == 60, 'current first')
  for index = 2, 60 do
    local wanted = index <= 31 and index - 1 or index
    check(ordered[index].task == 'specs:' .. wanted, 'position ' .. index .. ': ' .. ordered[index].task)
  end
end)

step('hovers are plain text: no command: links for Neovim', function()
  check(wire.experimental == nil or wire.experimental == vim.NIL or wire.experimental.commandLinks ~= true, 'the client asks for command links: ' .. vim.inspect(wire.experimental))
  local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  check(lines[24] == '- **Status**: [IMPLEMENTING]', 'line 24 of specs/TODO.md is ' .. tostring(lines[24]))
  local answers = vim.lsp.buf_request_sync(0, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(0) },
    position = { line = 23, character = 17 },
  }, 20000)
  local text
  for _, answer in pairs(answers or {}) do
    if answer.result and answer.result.contents then
      text = answer.result.contents.value or vim.inspect(answer.result.contents)
    end
  end
  check(text and text:find('plan header', 1, true) ~= nil, 'the hover shows the places: ' .. tostring(text))
  check(text:find('command:', 1, true) == nil, 'the hover has command: links:\n' .. text)
end)

step(':helptags and :help taskmark: every tag opens the help file, every link resolves', function()
  local doc = plugin_dir .. '/doc'
  vim.cmd('helptags ' .. vim.fn.fnameescape(doc))
  check(vim.uv.fs_stat(doc .. '/tags') ~= nil, 'helptags wrote doc/tags')
  local text = table.concat(vim.fn.readfile(doc .. '/taskmark.txt'), '\n')
  local tags, links = {}, {}
  for tag in text:gmatch('%*([^%s*|]+)%*') do
    table.insert(tags, tag)
  end
  for link in text:gmatch('|([^%s|]+)|') do
    links[link] = true
  end
  check(#tags >= 15 and vim.tbl_contains(tags, 'taskmark') and vim.tbl_contains(tags, ':Taskmark'), vim.inspect(tags))
  vim.cmd('help taskmark')
  check(vim.bo.filetype == 'help' and vim.api.nvim_buf_get_name(0) == vim.fs.normalize(doc .. '/taskmark.txt'), 'help taskmark opened ' .. vim.api.nvim_buf_get_name(0))
  for _, tag in ipairs(tags) do
    vim.cmd('help ' .. tag)
    check(vim.fs.basename(vim.api.nvim_buf_get_name(0)) == 'taskmark.txt', ':help ' .. tag .. ' opened ' .. vim.api.nvim_buf_get_name(0))
  end
  for link in pairs(links) do
    local ok, err = pcall(vim.cmd, 'help ' .. link)
    check(ok, 'the link |' .. link .. '| goes nowhere: ' .. tostring(err))
  end
  vim.cmd('helpclose')
end)

vim.lsp.stop_client(vim.lsp.get_clients({ name = 'taskmark' }), true)
vim.cmd('qall!')
