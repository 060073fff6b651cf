-- Headless Neovim test of `tasklint server` (run by scripts/check-nvim):
--   TASKLINT_BIN=... nvim --headless --clean PROJECT/app/views.py -c "luafile tests/nvim/init.lua"
-- Starts the server with Neovim's built-in LSP client for the file given, waits for its
-- diagnostics and prints them, asks for the code actions on the finding, applies the
-- safe fix to the (unsaved) buffer and prints the diagnostics again. Works with Neovim 0.7 (Debian 12) and later.
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

-- 2. The server's code action for the finding, applied by Neovim to the (unsaved)
-- buffer: the diagnostics go away.
local client = vim.lsp.get_active_clients()[1]
local d = vim.diagnostic.get(buf)[1]
local params = {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = {
    start = { line = d.lnum, character = d.col },
    ["end"] = { line = d.end_lnum, character = d.end_col },
  },
  context = { diagnostics = {} },
}
local replies = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 10000) or {}
local chosen
for _, reply in pairs(replies) do
  for _, action in ipairs(reply.result or {}) do
    say("code action: " .. action.title)
    if not chosen and action.title:match("safe fix") and action.edit then
      chosen = action
    end
  end
end
if not chosen then
  say("FAIL: no safe fix offered")
  finish(1)
  return
end
vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding or "utf-16")
say("applied: " .. chosen.title)
say("line " .. (d.lnum + 1) .. " is now: " .. vim.api.nvim_buf_get_lines(buf, d.lnum, d.lnum + 1, false)[1])
if not wait_for(function() return #vim.diagnostic.get(buf) == 0 end) then
  say("FAIL: the diagnostics did not clear after the fix")
  show()
  finish(1)
  return
end
show()
say("OK")
finish(0)
