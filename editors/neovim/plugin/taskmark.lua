-- :Taskmark and the taskmark autocommands (the missing-executable notice, the diagnostics'
-- display options) for every way of enabling the server: setup() or vim.lsp.enable('taskmark').
-- Nothing starts here: the server starts only once it is enabled.
if vim.g.loaded_taskmark then
  return
end
vim.g.loaded_taskmark = true

if vim.fn.has('nvim-0.11') == 0 then
  return
end

local taskmark = require('taskmark')
taskmark.create_command()
taskmark.watch()
