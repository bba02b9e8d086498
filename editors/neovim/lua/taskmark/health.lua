-- :checkhealth taskmark — the binary, its version, the daemon and the workspace configuration.

local M = {}

local function run(cmd)
  local ok, result = pcall(function()
    return vim.system(cmd, { text = true }):wait(5000)
  end)
  if not ok then
    return nil, tostring(result)
  end
  return result
end

function M.check()
  local taskmark = require('taskmark')
  local config = taskmark.config
  vim.health.start('taskmark: executable')
  -- The command Neovim would start: setup()'s `path`, or vim.lsp.config('taskmark')'s `cmd`.
  local lsp_config = vim.lsp.config['taskmark']
  local executable = lsp_config and type(lsp_config.cmd) == 'table' and lsp_config.cmd[1] or config.path
  if not vim.lsp.is_enabled('taskmark') then
    vim.health.warn("the taskmark server is not enabled: call require('taskmark').setup({}) or vim.lsp.enable('taskmark')")
  end
  local path = vim.fn.exepath(executable)
  if path == '' then
    vim.health.error(string.format('`%s` is not executable or not on $PATH', executable), {
      'Install it from a clone of the taskmark repository: cargo install --locked --path server/cli',
      "or point at it: setup({ path = '/path/to/taskmark' }), or vim.lsp.config('taskmark', { cmd = { '/path/to/taskmark', 'lsp' } })",
    })
    return
  end
  vim.health.ok('found ' .. path)
  local version = run({ path, '--version' })
  if version and version.code == 0 then
    vim.health.ok(vim.trim(version.stdout))
  else
    vim.health.error('`' .. path .. ' --version` failed: ' .. (version and version.stderr or 'did not run'))
  end

  vim.health.start('taskmark: server')
  local client = taskmark.client()
  if not client then
    vim.health.warn('no taskmark server is attached (open a markdown or JSON file under a tracker root)')
  else
    vim.health.ok(string.format('attached to %s (client %d)', client.root_dir or '?', client.id))
    local response = client:request_sync('taskmark/serverInfo', vim.NIL, 2000)
    if response and response.result then
      local info = response.result
      vim.health.ok(string.format('served by %s process %s (taskmark %s)', info.mode, info.pid, info.version))
    else
      vim.health.warn('the server did not answer taskmark/serverInfo')
    end
  end
  if config.standalone then
    vim.health.info('standalone: this Neovim gets its own server process')
  end

  vim.health.start('taskmark: configuration')
  local root = client and client.root_dir or taskmark.find_root(vim.api.nvim_buf_get_name(0) ~= '' and vim.api.nvim_buf_get_name(0) or vim.fn.getcwd() .. '/x')
  if not root then
    vim.health.info('no tracker root above the current buffer')
    return
  end
  local checked = run({ path, 'config', '--root', root })
  if checked and checked.code == 0 and vim.startswith(checked.stdout, 'no .taskmark.toml') then
    -- Nothing to validate: the built-in profiles (and what the repository teaches) apply.
    vim.health.info(vim.trim(checked.stdout))
  elseif checked and checked.code == 0 then
    vim.health.ok(vim.trim(checked.stdout))
  else
    vim.health.error(vim.trim((checked and (checked.stderr ~= '' and checked.stderr or checked.stdout)) or 'taskmark config did not run'))
  end
end

return M
