-- taskmark for Neovim 0.11+: registers `taskmark lsp` for markdown and JSON files under a
-- tracker root and adds :Taskmark (set, show, new, list, archive, check, log). Everything it shows comes from the
-- server; this file only asks and displays. `lsp/taskmark.lua` (for `vim.lsp.enable('taskmark')`
-- without setup()) and `plugin/taskmark.lua` (the command and the missing-binary notice) use it too.

local M = {}

--- The server's settings, sent as `initializationOptions` and `workspace/didChangeConfiguration`
--- (always as a JSON object, never `[]`).
---@class taskmark.Settings
---@field diagnostics? 'push'|'pull' Pushed for every indexed file (default), or pulled by Neovim.
---@field codeLens? boolean Progress and "set status…" code lenses (default true).
---@field inlayHints? boolean The server's inlay hints (default false).
---@field closedFiles? 'disk'|'editor' Files not open: written by the server (default) or opened as buffers.
---@field rules? table<string, 'error'|'warning'|'info'|'hint'|'off'> Severity per rule over `.taskmark.toml`'s.
---@field docsUrl? string The user guide's root (`{docsUrl}/rules/{code}.html`), or a URL with `{code}` in it.

--- The plugin's options (`require('taskmark').config`, after setup()).
---@class taskmark.Config
---@field path string The taskmark executable: a name on $PATH or a path.
---@field args string[] Extra arguments after `taskmark lsp`.
---@field standalone boolean A server process per Neovim instead of the shared daemon.
---@field log_level 'error'|'warn'|'info'|'debug'|'trace' The server's `--log-level`.
---@field filetypes string[] The filetypes the server attaches to.
---@field root_markers (string|string[])[] Looked for upwards from the buffer in order; a list is one marker (the nearest folder holding any of it).
---@field settings taskmark.Settings The server's settings.
---@field offer_to_write boolean After a change, offer to write the buffers it changed.
---@field virtual_text? boolean|vim.diagnostic.Opts.VirtualText taskmark's diagnostics as virtual text; nil leaves `vim.diagnostic.config()`'s.
---@field virtual_lines? boolean|'current_line'|vim.diagnostic.Opts.VirtualLines taskmark's diagnostics as virtual lines below their line (`'current_line'`: the cursor's line only); nil leaves `vim.diagnostic.config()`'s.

--- The argument of setup(): any of taskmark.Config's fields.
---@class taskmark.Opts
---@field path? string
---@field args? string[]
---@field standalone? boolean
---@field log_level? 'error'|'warn'|'info'|'debug'|'trace'
---@field filetypes? string[]
---@field root_markers? (string|string[])[]
---@field settings? taskmark.Settings
---@field offer_to_write? boolean
---@field virtual_text? boolean|vim.diagnostic.Opts.VirtualText
---@field virtual_lines? boolean|'current_line'|vim.diagnostic.Opts.VirtualLines

---@type taskmark.Config
local defaults = {
  -- The taskmark executable: a name on $PATH or a path.
  path = 'taskmark',
  -- Extra arguments after `taskmark lsp`.
  args = {},
  -- Serve this Neovim in its own process instead of through the shared daemon.
  standalone = false,
  -- The server's --log-level: its log goes to stderr, which Neovim's LSP log marks `[ERROR]`
  -- line by line, so warnings and errors only unless you ask for more.
  log_level = 'warn',
  filetypes = { 'markdown', 'json' },
  -- Looked for upwards from the buffer in order; the first that matches wins. A list is one
  -- marker: the nearest folder holding any of it. The first is the command line's own rule (the
  -- nearest folder holding .taskmark.toml or .git), so the editor, `taskmark check` and an agent's
  -- change through the daemon share one root; the others root a folder outside any repository.
  root_markers = { { '.taskmark.toml', '.git' }, 'specs/TODO.md', 'TODO.md' },
  -- Sent as initializationOptions and workspace/didChangeConfiguration (see the README).
  settings = {},
  -- After a status change, offer to write the buffers it changed.
  offer_to_write = true,
  -- How taskmark's diagnostics show, for its namespaces only (nil: as vim.diagnostic.config() says).
  virtual_text = nil,
  virtual_lines = nil,
}

---@type taskmark.Config
M.config = vim.deepcopy(defaults)

local NAME = 'taskmark'

--- The directory of the nearest marker above `path`, markers in priority order (every parent is
--- searched for the first marker before the second is looked for; a list of names is one marker,
--- found in the nearest folder holding any of them).
---@param path string A file's path.
---@param markers? (string|string[])[] Default: the configured `root_markers`.
---@return string? root
function M.find_root(path, markers)
  local start = vim.fs.dirname(vim.fs.normalize(path))
  for _, marker in ipairs(markers or M.config.root_markers) do
    local names = type(marker) == 'table' and marker or { marker }
    for dir in vim.fs.parents(start .. '/.') do
      for _, name in ipairs(names) do
        if vim.uv.fs_stat(dir .. '/' .. name) then
          return dir
        end
      end
    end
  end
  return nil
end

--- The server's command line: `{path, 'lsp', '--log-level', level, ...}`.
---@return string[]
function M.command()
  local cmd = { M.config.path, 'lsp', '--log-level', M.config.log_level }
  if M.config.standalone then
    table.insert(cmd, '--standalone')
  end
  vim.list_extend(cmd, M.config.args)
  return cmd
end

--- The taskmark client serving `bufnr` (the current buffer by default), else any.
---@param bufnr? integer
---@return vim.lsp.Client?
function M.client(bufnr)
  local clients = vim.lsp.get_clients({ name = NAME, bufnr = bufnr or 0 })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = NAME })
  end
  return clients[1]
end

local empty_dict_mt = getmetatable(vim.empty_dict())

--- Makes every empty table in `value` (itself included) encode as a JSON object `{}` instead of
--- Lua's default, an array `[]`, in place; returns `value`. Settings are objects all the way down.
---@generic T
---@param value T
---@return T
function M.as_object(value)
  if type(value) ~= 'table' or getmetatable(value) ~= nil and getmetatable(value) ~= empty_dict_mt then
    return value
  end
  if next(value) == nil then
    return setmetatable(value, empty_dict_mt)
  end
  for _, item in pairs(value) do
    M.as_object(item)
  end
  return value
end

local function notify(message, level)
  vim.notify('taskmark: ' .. message, level or vim.log.levels.INFO, { title = 'taskmark' })
end

--- Reloads from disk the loaded buffers of `files` (workspace-relative, the notice's `reload`)
--- that have no unsaved change: a change the command line or an agent made is written on disk,
--- and the server leaves such a buffer for its editor to read again (an edit would leave it
--- modified with what the disk already says). Every other buffer of the change gets an edit,
--- and reading it again meanwhile (another editor may have saved the file) would race it.
local function reload_clean(files, client_id)
  local client = client_id and vim.lsp.get_client_by_id(client_id)
  local root = client and client.root_dir
  if type(files) ~= 'table' or not root then
    return
  end
  local wanted = {}
  for _, file in ipairs(files) do
    if type(file) == 'string' then
      wanted[vim.fs.normalize(root .. '/' .. file)] = true
    end
  end
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.fs.normalize(vim.api.nvim_buf_get_name(bufnr))
    if wanted[name] and vim.api.nvim_buf_is_loaded(bufnr) and not vim.bo[bufnr].modified then
      -- `:edit`, not `:checktime`: the server says the file changed, so it is read again
      -- whatever 'autoread' says (without it `:checktime` asks) and however coarse the file
      -- system's timestamps are. The reload is kept in the buffer's undo history.
      pcall(vim.api.nvim_buf_call, bufnr, function()
        vim.cmd('silent edit')
      end)
    end
  end
end

--- `taskmark/taskChanged {task, from, to, files, reload, origin, mine}` from the server.
local function on_task_changed(_, params, ctx)
  -- The change this Neovim made was already reported by :Taskmark set.
  if type(params) ~= 'table' or params.mine == true then
    return
  end
  reload_clean(params.reload, ctx and ctx.client_id)
  local origin = params.origin and (' (' .. tostring(params.origin) .. ')') or ''
  if params.action == 'archived' then
    notify('archived ' .. table.concat(params.tasks or { params.task or '?' }, ', ') .. origin, vim.log.levels.INFO)
    return
  end
  if params.action == 'fixed' then
    notify((params.title or 'fixed') .. origin, vim.log.levels.INFO)
    return
  end
  if params.action == 'edited' then
    notify(string.format('task %s edited: %s%s', params.task or '?', params.title or '', origin), vim.log.levels.INFO)
    return
  end
  if params.action == 'created' then
    notify(
      string.format('new task %s: %s %s%s', params.task or '?', params.title or '', params.to or '', origin),
      vim.log.levels.INFO
    )
    return
  end
  notify(
    string.format('task %s: %s → %s%s', params.task or '?', params.from or '?', params.to or '?', origin),
    vim.log.levels.INFO
  )
end

--- Runs a taskmark command on the server (`workspace/executeCommand`); `callback(err, result)`
--- is called on the main loop.
---@param command string `taskmark.setStatus`, `taskmark.listTasks`, ...
---@param arguments table The command's one argument.
---@param callback fun(err: lsp.ResponseError|{message: string}|nil, result: any)
---@param bufnr? integer The buffer whose client runs it (default: the current one, else any).
function M.execute(command, arguments, callback, bufnr)
  local client = M.client(bufnr)
  if not client then
    callback({ message = 'no taskmark server is running for this buffer' }, nil)
    return
  end
  client:request('workspace/executeCommand', { command = command, arguments = { arguments } }, function(err, result)
    vim.schedule(function()
      callback(err, result)
    end)
  end, bufnr or 0)
end

--- Buffers among `uris` that a status change left modified, offered for writing.
local function offer_to_write(uris)
  if not M.config.offer_to_write then
    return
  end
  local modified = {}
  for _, uri in ipairs(uris or {}) do
    local bufnr = vim.uri_to_bufnr(uri)
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].modified then
      table.insert(modified, bufnr)
    end
  end
  if #modified == 0 then
    return
  end
  local names = vim.tbl_map(function(bufnr)
    return vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':~:.')
  end, modified)
  vim.ui.select({ 'Write them', 'Keep them unsaved' }, {
    prompt = 'taskmark changed ' .. #modified .. ' buffer(s): ' .. table.concat(names, ', '),
  }, function(choice)
    if choice == 'Write them' then
      for _, bufnr in ipairs(modified) do
        vim.api.nvim_buf_call(bufnr, function()
          vim.cmd('silent write')
        end)
      end
      notify('wrote ' .. table.concat(names, ', '))
    end
  end)
end

--- Sets `task` to `status`; asks for a reason when the status needs one.
local function apply_status(task, status, force, reason)
  local arguments = { task = task, status = status, force = force or false, reason = reason }
  M.execute('taskmark.setStatus', arguments, function(err, result)
    if err then
      local message = err.message or tostring(err)
      -- The refusal's data says what is missing; older servers only said it in the message.
      local data = type(err.data) == 'table' and err.data or {}
      local field = data.kind == 'needsReason' and data.field or message:match('needs a %*%*(.-)%*%*')
      if field and not reason then
        vim.ui.input({ prompt = field .. ': ' }, function(input)
          if input and input ~= '' then
            apply_status(task, status, force, input)
          end
        end)
        return
      end
      notify(message, vim.log.levels.ERROR)
      return
    end
    result = result or {}
    notify((result.label or ('task ' .. task .. ' set to ' .. status)) .. ' (' .. #(result.files or {}) .. ' files)')
    for _, warning in ipairs(result.warnings or {}) do
      notify(warning, vim.log.levels.WARN)
    end
    offer_to_write(result.files)
  end)
end

--- The task under the cursor, as the server sees it; `callback(task_or_nil)`.
local function task_under_cursor(callback)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client or vim.api.nvim_buf_get_name(bufnr) == '' then
    callback(nil)
    return
  end
  local position = vim.lsp.util.make_position_params(0, client.offset_encoding).position
  M.execute('taskmark.taskAt', { uri = vim.uri_from_bufnr(bufnr), position = position }, function(err, result)
    callback((not err and type(result) == 'table') and result or nil)
  end, bufnr)
end

--- `tasks` in the server's order with `current` (a task key) moved to the front; a new list.
---@param tasks {task: string}[] The server's `taskmark.listTasks` answer.
---@param current? string
---@return {task: string}[]
function M.current_first(tasks, current)
  local ordered = {}
  for _, task in ipairs(tasks) do
    if task.task == current then
      table.insert(ordered, 1, task)
    else
      table.insert(ordered, task)
    end
  end
  return ordered
end

--- Asks for a task (the one under the cursor first); `callback(task_id)`.
local function pick_task(prompt, callback)
  task_under_cursor(function(current)
    M.execute('taskmark.listTasks', {}, function(err, tasks)
      if err or type(tasks) ~= 'table' or #tasks == 0 then
        notify(err and err.message or 'no tasks in this workspace', vim.log.levels.WARN)
        return
      end
      -- The server's order, the task under the cursor first (a sort would not keep the rest's order).
      tasks = M.current_first(tasks, current and current.task)
      vim.ui.select(tasks, {
        prompt = prompt,
        format_item = function(item)
          return string.format('%-8s %-16s %s', item.id, item.status or '', item.title or '')
        end,
      }, function(choice)
        if choice then
          callback(choice.task)
        end
      end)
    end)
  end)
end

--- Asks for a status of `task`: the allowed ones, then one entry that leads to the statuses only
--- force reaches (a menu of seven "not allowed" entries hid the few a user means).
local FORCE_ANOTHER = 'Force another status…'
local function pick_status(task, callback)
  M.execute('taskmark.taskInfo', { task = task }, function(err, info)
    if err or type(info) ~= 'table' then
      notify(err and err.message or ('no task ' .. task), vim.log.levels.ERROR)
      return
    end
    local allowed, forced = {}, {}
    for _, choice in ipairs(info.choices or {}) do
      table.insert(choice.allowed and allowed or forced, choice)
    end
    local items = vim.list_extend({}, allowed)
    if #forced > 0 then
      table.insert(items, FORCE_ANOTHER)
    end
    vim.ui.select(items, {
      prompt = string.format('Task %s (%s) is %s. Set it to:', info.id or info.task, info.title or '', info.status or '?'),
      format_item = function(item)
        return type(item) == 'table' and item.display or item
      end,
    }, function(choice)
      if not choice then
        return
      end
      if choice ~= FORCE_ANOTHER then
        callback(choice.status, false)
        return
      end
      vim.ui.select(forced, {
        prompt = string.format('Not an allowed transition from %s; force task %s to:', info.status or '?', info.id or info.task),
        format_item = function(item)
          return item.display
        end,
      }, function(picked)
        if picked then
          callback(picked.status, true)
        end
      end)
    end)
  end)
end

--- `:Taskmark set [TASK] [STATUS]`: asks for what is missing (the task under the cursor first,
--- allowed statuses first), then changes the task's status in every file that states it.
---@param task? string A task id (`12`, `specs:12`).
---@param status? string A status id, marker or word.
function M.set(task, status)
  local function with_task(id)
    if status then
      apply_status(id, status, false)
    else
      pick_status(id, function(picked, force)
        apply_status(id, picked, force)
      end)
    end
  end
  if task then
    with_task(task)
  else
    pick_task('Set the status of task:', with_task)
  end
end

--- `:Taskmark new` options, as `taskmark new` spells them: `--plan`, `--tracker=T`,
--- `--status=S`, `--priority=P`, `--depends-on=12,14`, `--heading=H`, `--description=TEXT`,
--- `--dry-run`; the other words are the title.
---@param args? string[]
---@return table request The `taskmark.newTask` argument.
function M.parse_new(args)
  local request, title = {}, {}
  local keys = {
    tracker = 'tracker',
    status = 'status',
    priority = 'priority',
    heading = 'heading',
    description = 'description',
    ['depends-on'] = 'dependsOn',
  }
  for _, word in ipairs(args or {}) do
    local key, value = word:match('^%-%-([%w-]+)=(.*)$')
    if key and keys[key] then
      if key == 'depends-on' then
        request.dependsOn = vim.split(value, ',', { trimempty = true })
      else
        request[keys[key]] = value
      end
    elseif word == '--plan' then
      request.plan = true
    elseif word == '--dry-run' then
      request.dryRun = true
    else
      table.insert(title, word)
    end
  end
  if #title > 0 then
    request.title = table.concat(title, ' ')
  end
  return request
end

--- Creates a task (`taskmark.newTask`): asks for the title when there is none and for the
--- tracker when the workspace has several, then offers to write the buffers it changed.
--- `callback(result)` (optional) gets the server's answer.
---@param request? table `taskmark.newTask`'s argument (see parse_new()).
---@param callback? fun(result: table)
function M.new(request, callback)
  request = vim.deepcopy(request or {})
  if not request.title or vim.trim(request.title) == '' then
    vim.ui.input({ prompt = 'New task title: ' }, function(input)
      if input and vim.trim(input) ~= '' then
        request.title = input
        M.new(request, callback)
      end
    end)
    return
  end
  local bufnr = vim.api.nvim_get_current_buf()
  if vim.api.nvim_buf_get_name(bufnr) ~= '' then
    request.uri = request.uri or vim.uri_from_bufnr(bufnr)
  end
  M.execute('taskmark.newTask', request, function(err, result)
    if err then
      local data = type(err.data) == 'table' and err.data or {}
      if data.kind == 'chooseTracker' and type(data.trackers) == 'table' and not request.tracker then
        vim.ui.select(data.trackers, {
          prompt = 'Add the task to which tracker?',
          format_item = function(tracker)
            return tracker == '' and '.' or tracker
          end,
        }, function(tracker)
          if tracker then
            request.tracker = tracker
            M.new(request, callback)
          end
        end)
        return
      end
      notify(err.message or tostring(err), vim.log.levels.ERROR)
      return
    end
    result = result or {}
    if result.dryRun then
      notify('dry run: ' .. (result.label or 'new task') .. ' would change ' .. table.concat(result.files or {}, ', '))
    else
      notify(
        string.format('new task %s: %s (%s)', result.task or result.id or '?', result.title or '', table.concat(result.files or {}, ', '))
      )
      for _, warning in ipairs(result.warnings or {}) do
        notify(warning, vim.log.levels.WARN)
      end
      offer_to_write(result.uris)
    end
    if callback then
      callback(result)
    end
  end)
end

--- Archives tasks (`taskmark.archiveTasks`): the ones named, or, with none, every finished
--- task not archived yet (`taskmark archive --done`) after asking with `vim.ui.select`.
---@param tasks? string[]
---@param callback? fun(result: table)
function M.archive(tasks, callback)
  local function run(arguments)
    M.execute('taskmark.archiveTasks', arguments, function(err, result)
      if err then
        notify(err.message or tostring(err), vim.log.levels.ERROR)
        return
      end
      result = result or {}
      notify('archived ' .. table.concat(result.tasks or {}, ', ') .. ' (' .. table.concat(result.files or {}, ', ') .. ')')
      for _, warning in ipairs(result.warnings or {}) do
        notify(warning, vim.log.levels.WARN)
      end
      offer_to_write(result.uris)
      if callback then
        callback(result)
      end
    end)
  end
  if tasks and #tasks > 0 then
    run({ tasks = tasks })
    return
  end
  M.execute('taskmark.archiveTasks', { done = true, dryRun = true }, function(err, plan)
    if err then
      notify(err.message or tostring(err), vim.log.levels.WARN)
      return
    end
    local ids = vim.tbl_map(function(task)
      return (task:gsub('^.*:', ''))
    end, plan.tasks or {})
    local moves = ''
    for _, moved in ipairs(plan.moved or {}) do
      moves = moves .. '; ' .. moved.from .. ' → ' .. moved.to
    end
    vim.ui.select({ 'Archive them', 'Cancel' }, {
      prompt = string.format('Archive %d finished task(s): %s%s?', #ids, table.concat(ids, ', '), moves),
    }, function(choice)
      if choice == 'Archive them' then
        run({ tasks = plan.tasks })
      end
    end)
  end)
end

--- `:Taskmark list` filters, as `taskmark list` spells them: `ready`, `blocked`, `archived`,
--- `kind=K`, `status=S`, `tracker=T` (with or without `--`); other words search ids and titles.
---@param args? string[]
---@return table filter The `taskmark.listTasks` argument.
function M.parse_list(args)
  local filter, words = {}, {}
  for _, word in ipairs(args or {}) do
    local bare = word:gsub('^%-%-', '')
    local key, value = bare:match('^(%w+)=(.*)$')
    if key == 'kind' or key == 'status' or key == 'tracker' then
      filter[key] = value
    elseif bare == 'ready' or bare == 'blocked' or bare == 'archived' then
      filter[bare] = true
    else
      table.insert(words, word)
    end
  end
  if #words > 0 then
    filter.filter = table.concat(words, ' ')
  end
  return filter
end

--- The line of the `:Taskmark list` picker for one task.
---@param task table An item of `taskmark.listTasks`'s answer.
---@return string
function M.format_task(task)
  local status = (task.status or '') .. (task.agrees == false and ' ≠' or '')
  local waits = {}
  for _, dependency in ipairs(task.dependencies or {}) do
    if not dependency.done then
      table.insert(waits, dependency.id)
    end
  end
  local extra = #waits > 0 and ('  waits on ' .. table.concat(waits, ',')) or ''
  return string.format('%-8s %-16s %s%s', task.id or '?', status, task.title or '', extra)
end

--- Opens `uri` in the current window at the start of `range` (an LSP range in the client's
--- position encoding), remembering where the cursor was in the jump list.
---@param uri string
---@param range? lsp.Range
function M.jump(uri, range)
  local client = M.client()
  local encoding = client and client.offset_encoding or 'utf-16'
  local bufnr = vim.uri_to_bufnr(uri)
  vim.cmd("normal! m'")
  vim.bo[bufnr].buflisted = true
  vim.api.nvim_win_set_buf(0, bufnr)
  local row = range and range.start.line or 0
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  local col = 0
  if range then
    local ok, byte = pcall(vim.str_byteindex, line, encoding, range.start.character, false)
    col = ok and byte or 0
  end
  vim.api.nvim_win_set_cursor(0, { math.min(row + 1, vim.api.nvim_buf_line_count(bufnr)), col })
  vim.cmd('normal! zv')
end

--- Lists the tasks the filters select (`taskmark.listTasks`) in a picker, and jumps to the one
--- chosen (its definition: the TODO.md heading, the index line, the task file).
---@param filter? table See parse_list().
---@param on_jump? fun(task: table)
function M.list(filter, on_jump)
  M.execute('taskmark.listTasks', filter or {}, function(err, tasks)
    if err then
      notify(err.message or tostring(err), vim.log.levels.ERROR)
      return
    end
    if type(tasks) ~= 'table' or #tasks == 0 then
      notify('no task matches', vim.log.levels.WARN)
      return
    end
    vim.ui.select(tasks, { prompt = 'Go to task:', format_item = M.format_task }, function(task)
      if not task or not task.uri then
        return
      end
      M.jump(task.uri, task.range)
      if on_jump then
        on_jump(task)
      end
    end)
  end)
end

--- The line of the `:Taskmark next` picker for one ready task, with why it ranks there.
---@param task table An item of `taskmark.nextTasks`'s `ready`.
---@return string
function M.format_next(task)
  local priority = task.priority and (' (priority ' .. task.priority .. ')') or ''
  local why = (task.why and #task.why > 0) and ('  — ' .. table.concat(task.why, '; ')) or ''
  return string.format('%-8s %-16s %s%s%s', task.id or '?', task.status or '', task.title or '', priority, why)
end

--- The tasks ready to start, best first (`taskmark.nextTasks`: priority, what waits on them,
--- age; not claimed, not taken up in another worktree), in a picker that jumps to the one
--- chosen. With nothing ready, says what holds the first held task back.
---@param limit? integer How many to offer (10 unless given).
function M.next(limit)
  M.execute('taskmark.nextTasks', { limit = limit }, function(err, answer)
    if err or type(answer) ~= 'table' then
      notify(err and err.message or 'no answer from the server', vim.log.levels.ERROR)
      return
    end
    local ready = answer.ready or {}
    if #ready == 0 then
      local held = (answer.held or {})[1]
      local why = held and (': ' .. held.id .. ' ' .. table.concat(held.why or {}, '; ')) or ''
      notify('no task is ready to start (' .. (answer.heldCount or 0) .. ' held back' .. why .. ')', vim.log.levels.WARN)
      return
    end
    vim.ui.select(ready, { prompt = 'Next task:', format_item = M.format_next }, function(task)
      if not task then
        return
      end
      M.execute('taskmark.taskInfo', { task = task.task }, function(info_err, info)
        local place = type(info) == 'table' and vim.iter(info.places or {}):find(function(it)
          return it.uri ~= nil
        end)
        if info_err or not place then
          notify(info_err and info_err.message or ('no place of task ' .. task.task .. ' to open'), vim.log.levels.ERROR)
          return
        end
        local line = math.max((place.line or 1) - 1, 0)
        M.jump(place.uri, { start = { line = line, character = 0 }, ['end'] = { line = line, character = 0 } })
      end)
    end)
  end)
end

--- Opens the workspace's board (`taskmark.openBoard`: the daemon serves it on loopback) in the
--- browser with `vim.ui.open`, and says its address. A server running on its own (not through
--- the daemon) has no board and says so.
function M.board()
  M.execute('taskmark.openBoard', {}, function(err, answer)
    local url = type(answer) == 'table' and answer.url or nil
    if err or type(url) ~= 'string' or not url:match('^http://127%.0%.0%.1:%d+/') then
      notify(err and err.message or 'no board address from the server', vim.log.levels.ERROR)
      return
    end
    local _, open_err = vim.ui.open(url)
    if open_err then
      notify('cannot open a browser (' .. open_err .. '); the board is at ' .. url, vim.log.levels.WARN)
      return
    end
    notify('the board is open in the browser: ' .. url)
  end)
end

--- The lines of the floating `:Taskmark show` window.
---@param info table `taskmark.taskInfo`'s answer.
---@return string[]
function M.render_task(info)
  local lines = {
    string.format('Task %s — %s', info.id or info.task or '?', info.title or '(untitled)'),
    'Status: ' .. (info.status or 'unknown'),
    '',
  }
  local width = 0
  for _, place in ipairs(info.places or {}) do
    width = math.max(width, #string.format('%s:%d', place.file or '', place.line or 0))
  end
  for _, place in ipairs(info.places or {}) do
    local mark = place.agrees and '✓' or '✗'
    if place.current == false then
      mark = '·'
    end
    local location = string.format('%s:%d', place.file or '', place.line or 0)
    table.insert(lines, string.format('%s %-18s %-' .. width .. 's  %s', mark, place.kind or '', location, place.value or ''))
  end
  local progress = info.progress
  if type(progress) == 'table' then
    table.insert(lines, '')
    table.insert(
      lines,
      string.format(
        'Plan: %d/%d phases, %d/%d checkboxes',
        progress.phases_done or 0,
        progress.phases or 0,
        progress.checkboxes_done or 0,
        progress.checkboxes or 0
      )
    )
  end
  if type(info.dependencies) == 'table' and #info.dependencies > 0 then
    local parts = {}
    for _, dependency in ipairs(info.dependencies) do
      table.insert(parts, string.format('%s %s', dependency.task, dependency.status or '(not found)'))
    end
    table.insert(lines, 'Dependencies: ' .. table.concat(parts, ', '))
  end
  if type(info.next) == 'table' then
    table.insert(lines, 'Next: ' .. (#info.next > 0 and table.concat(info.next, ', ') or 'none (terminal)'))
  end
  return lines
end

--- `:Taskmark show [TASK]`: the task (under the cursor by default) across files in a float.
---@param task? string
function M.show(task)
  local function open(id)
    M.execute('taskmark.taskInfo', { task = id }, function(err, info)
      if err or type(info) ~= 'table' then
        notify(err and err.message or ('no task ' .. id), vim.log.levels.ERROR)
        return
      end
      local lines = M.render_task(info)
      local bufnr, winid = vim.lsp.util.open_floating_preview(lines, 'markdown', { border = 'rounded', focus_id = 'taskmark' })
      M.last_float = { bufnr = bufnr, winid = winid, lines = lines }
    end)
  end
  if task then
    open(task)
  else
    task_under_cursor(function(current)
      if current then
        open(current.task)
      else
        pick_task('Show task:', open)
      end
    end)
  end
end

--- Every diagnostic the taskmark server published, in the quickfix list (which it opens).
---@return vim.quickfix.entry[]? items
function M.check()
  local client = M.client()
  if not client then
    notify('no taskmark server is running', vim.log.levels.WARN)
    return
  end
  local items = {}
  -- Neovim names an LSP client's namespaces after the client (`vim.lsp.taskmark.1`).
  for id, namespace in pairs(vim.diagnostic.get_namespaces()) do
    if namespace.name and namespace.name:find(NAME, 1, true) then
      vim.list_extend(items, vim.diagnostic.get(nil, { namespace = id }))
    end
  end
  local list = vim.diagnostic.toqflist(items)
  table.sort(list, function(a, b)
    local an, bn = vim.api.nvim_buf_get_name(a.bufnr), vim.api.nvim_buf_get_name(b.bufnr)
    if an ~= bn then
      return an < bn
    end
    return a.lnum < b.lnum
  end)
  vim.fn.setqflist({}, ' ', { title = 'taskmark check', items = list })
  vim.cmd('botright copen')
  return list
end

--- Opens the LSP log in a new tab.
function M.log()
  vim.cmd('tabnew ' .. vim.fn.fnameescape(vim.lsp.log.get_filename()))
end

local subcommands = {
  set = function(args)
    M.set(args[1], args[2])
  end,
  show = function(args)
    M.show(args[1])
  end,
  new = function(args)
    M.new(M.parse_new(args))
  end,
  list = function(args)
    M.list(M.parse_list(args))
  end,
  next = function(args)
    M.next(tonumber(args[1]))
  end,
  board = function()
    M.board()
  end,
  archive = function(args)
    M.archive(args)
  end,
  check = function()
    M.check()
  end,
  log = function()
    M.log()
  end,
}

local function complete(arglead, line)
  local words = vim.split(line, '%s+', { trimempty = true })
  local index = #words + (line:match('%s$') and 1 or 0)
  local candidates = {}
  if index <= 2 then
    candidates = vim.tbl_keys(subcommands)
  elseif words[2] == 'list' then
    candidates = { 'ready', 'blocked', 'archived', 'status=', 'tracker=' }
    for _, kind in ipairs({ 'todo', 'active', 'blocked', 'done', 'cancelled' }) do
      table.insert(candidates, 'kind=' .. kind)
    end
  elseif words[2] == 'new' then
    candidates = { '--plan', '--tracker=', '--status=', '--priority=', '--depends-on=', '--heading=', '--dry-run' }
  end
  return vim.tbl_filter(function(name)
    return vim.startswith(name, arglead)
  end, candidates)
end

--- `:Taskmark {subcommand} [args]` (set, show, new, list, next, board, archive, check, log; show by
--- default).
---@param fargs string[]
function M.run(fargs)
  local args = vim.deepcopy(fargs)
  local name = table.remove(args, 1) or 'show'
  local run = subcommands[name]
  if not run then
    notify('unknown subcommand `' .. name .. '`; use set, show, new, list, next, board, archive, check or log', vim.log.levels.ERROR)
    return
  end
  run(args)
end

--- Defines `:Taskmark` (setup() and plugin/taskmark.lua call it).
function M.create_command()
  vim.api.nvim_create_user_command('Taskmark', function(command)
    M.run(command.fargs)
  end, { nargs = '*', complete = complete, desc = 'taskmark: set, show, new, list, archive, check, log' })
end

--- The language server's configuration for `vim.lsp.config()`, from the plugin's options
--- (`lsp/taskmark.lua` returns it, so that `vim.lsp.enable('taskmark')` works without setup()).
---@return vim.lsp.Config
function M.lsp_config()
  local settings = M.as_object(vim.deepcopy(M.config.settings or {}))
  return {
    cmd = M.command(),
    filetypes = M.config.filetypes,
    root_markers = M.config.root_markers,
    -- The markers in priority order (vim.fs.root would take the nearest folder holding any).
    root_dir = function(bufnr, on_dir)
      local name = vim.api.nvim_buf_get_name(bufnr)
      local config = vim.lsp.config[NAME]
      local root = name ~= '' and M.find_root(name, config and config.root_markers) or nil
      if root then
        on_dir(root)
      end
    end,
    init_options = settings,
    settings = { taskmark = vim.deepcopy(settings) },
    -- Whatever the settings became (a user's vim.lsp.config() included), an empty Lua table
    -- in them goes out as `{}`: Lua's `{}` is a JSON array otherwise.
    before_init = function(params, config)
      params.initializationOptions = M.as_object(params.initializationOptions)
      M.as_object(config.settings)
    end,
    handlers = { ['taskmark/taskChanged'] = on_task_changed },
  }
end

--- The `vim.diagnostic.config()` options for taskmark's namespaces from `virtual_text` and
--- `virtual_lines`, or nil when neither is set.
---@return vim.diagnostic.Opts?
function M.diagnostic_options()
  local opts = {}
  if M.config.virtual_text ~= nil then
    opts.virtual_text = M.config.virtual_text
  end
  local lines = M.config.virtual_lines
  if lines == 'current_line' then
    opts.virtual_lines = { current_line = true }
  elseif lines ~= nil then
    opts.virtual_lines = lines
  end
  return next(opts) and opts or nil
end

local missing_notified = false

--- Says once per Neovim, when `bufnr` is a file under a tracker root that the enabled taskmark
--- server would serve, that the executable is missing (Neovim itself only logs it).
---@param bufnr integer
---@return boolean notified
function M.check_executable(bufnr)
  if missing_notified or not vim.lsp.is_enabled(NAME) or not vim.api.nvim_buf_is_valid(bufnr) then
    return false
  end
  if vim.bo[bufnr].buftype ~= '' then
    return false
  end
  local config = vim.lsp.config[NAME]
  if not config or type(config.cmd) ~= 'table' then
    return false
  end
  if config.filetypes and not vim.tbl_contains(config.filetypes, vim.bo[bufnr].filetype) then
    return false
  end
  if vim.fn.executable(config.cmd[1]) == 1 then
    return false
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  local root = name ~= '' and M.find_root(name, config.root_markers) or nil
  if not root then
    return false
  end
  missing_notified = true
  notify(
    string.format(
      '`%s` is not executable or not on $PATH, so %s has no language server. See :checkhealth taskmark',
      config.cmd[1],
      vim.fn.fnamemodify(root, ':~')
    ),
    vim.log.levels.WARN
  )
  return true
end

--- The autocommands of the `taskmark` group: the missing-executable notice (FileType) and the
--- diagnostics' display options (LspAttach). Idempotent.
function M.watch()
  local group = vim.api.nvim_create_augroup('taskmark', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    desc = 'taskmark: say once when the executable is missing',
    callback = function(args)
      M.check_executable(args.buf)
    end,
  })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    desc = "taskmark: virtual_text and virtual_lines for taskmark's diagnostics",
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      local opts = M.diagnostic_options()
      if client and client.name == NAME and opts then
        for _, pull in ipairs({ false, true }) do
          vim.diagnostic.config(opts, vim.lsp.diagnostic.get_namespace(client.id, pull))
        end
      end
    end,
  })
end

--- Registers the server (`vim.lsp.config` + `vim.lsp.enable`) and `:Taskmark`.
---@param opts? taskmark.Opts
function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  vim.lsp.config(NAME, M.lsp_config())
  vim.lsp.enable(NAME)
  M.create_command()
  M.watch()
  -- Buffers opened before setup() (a lazily loaded plugin): vim.lsp.enable attaches to them,
  -- and they are checked for the executable too.
  vim.schedule(function()
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        M.check_executable(bufnr)
      end
    end
  end)
end

return M
