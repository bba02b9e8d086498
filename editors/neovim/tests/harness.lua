-- What the specs share: steps that print `ok NAME`, and the first failure ending Neovim with a
-- non-zero status. A spec loads it with `dofile(vim.fs.dirname(arg[0]) .. '/harness.lua')(label)`;
-- `label` (or nil) names it in failures.
return function(label)
  local harness = {}

  function harness.fail(message)
    io.stdout:write('FAILED' .. (label and (' (' .. label .. ')') or '') .. ': ' .. message .. '\n')
    io.stdout:flush()
    vim.cmd('cquit 1')
  end

  function harness.check(condition, message)
    if not condition then
      harness.fail(message)
    end
  end

  function harness.wait(what, timeout, condition)
    if not vim.wait(timeout or 20000, condition, 20) then
      harness.fail('timed out waiting for ' .. what)
    end
  end

  function harness.step(name, body)
    local ok, err = xpcall(body, debug.traceback)
    if not ok then
      harness.fail(name .. ': ' .. tostring(err))
    end
    io.stdout:write('ok ' .. name .. '\n')
    io.stdout:flush()
  end

  -- A file's bytes, as a spec checks what was written on disk.
  function harness.read_file(path)
    local file = assert(io.open(path, 'rb'))
    local text = file:read('*a')
    file:close()
    return text
  end

  return harness
end
