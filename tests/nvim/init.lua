-- Headless Neovim test of `tasklint server` (run by scripts/check-nvim):
--   TASKLINT_BIN=... nvim --headless --clean PROJECT/app/views.py -c "luafile tests/nvim/init.lua"
-- Starts the server with Neovim's built-in LSP client for the file given, waits for its
-- diagnostics and prints them, then fixes the line in the buffer (unsaved) and prints
-- the diagnostics again. Works with Neovim 0.7 (Debian 12) and later.
local out = {}
local function say(line)
  table.insert(out, line)
  io.stdout:write(line .. "\n")
end

local function finish(code)
  for _, client in pairs(vim.lsp.get_active_clients()) do
    client.stop()
  end
  vim.wait(2000, function()
    return #vim.lsp.get_active_clients() == 0
  end, 20)
  vim.cmd((code == 0) and "qa!" or ("cq " .. code))
end

local bin = os.getenv("TASKLINT_BIN") or "tasklint"
local buf = vim.api.nvim_get_current_buf()
local file = vim.api.nvim_buf_get_name(buf)
local root = vim.fn.fnamemodify(file, ":h:h")
local config = { name = "tasklint", cmd = { bin, "server" }, root_dir = root }

say("neovim " .. tostring(vim.version().major) .. "." .. tostring(vim.version().minor))
if vim.lsp.start then
  vim.lsp.start(config, { bufnr = buf })
else
  local id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(buf, id)
end

local function wait_for(check)
  return vim.wait(30000, check, 20)
end

-- 1. The diagnostics the server publishes for the file as opened.
if not wait_for(function() return #vim.diagnostic.get(buf) > 0 end) then
  say("FAIL: no diagnostics within 30 s")
  finish(1)
  return
end
local function show()
  local diags = vim.diagnostic.get(buf)
  table.sort(diags, function(a, b) return a.lnum < b.lnum end)
  say(#diags .. " diagnostic(s)")
  for _, d in ipairs(diags) do
    local severity = vim.diagnostic.severity[d.severity]
    local first = vim.split(d.message, "\n")[1]
    say(string.format("%s:%d:%d: %s %s [%s] %s", vim.fn.fnamemodify(file, ":t"),
      d.lnum + 1, d.col + 1, severity, d.code or (d.user_data and d.user_data.lsp.code) or "?",
      d.source, first))
  end
end
show()

-- 2. An unsaved edit that enqueues the task: the diagnostics go away.
local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
for i, line in ipairs(lines) do
  if line:match("^%s+ping%(") then
    vim.api.nvim_buf_set_lines(buf, i - 1, i, false, { (line:gsub("ping%(", "ping.delay(")) })
    say("edited line " .. i .. ": " .. vim.api.nvim_buf_get_lines(buf, i - 1, i, false)[1])
  end
end
if not wait_for(function() return #vim.diagnostic.get(buf) == 0 end) then
  say("FAIL: the diagnostics did not clear after the edit")
  show()
  finish(1)
  return
end
show()
say("OK")
finish(0)
