-- What the Neovim scripts share: start Anvil's server on the current buffer, ask for code actions,
-- run a command and wait for its answer, apply a chosen code action the way Neovim does, and
-- write the report as JSON. The environment gives the paths and settings (see test_neovim.py).
local M = {}
local env = vim.env

function M.finish(report, status)
  report.status = status
  local f = io.open(env.ANVIL_NVIM_REPORT, "w")
  f:write(vim.fn.json_encode(report))
  f:close()
  vim.cmd("qa!")
end

function M.start(bufnr, handlers)
  local client_id = vim.lsp.start_client({
    name = "anvil",
    cmd = { env.ANVIL_PYTHON, "-m", "anvil", "serve" },
    root_dir = env.ANVIL_ROOT,
    init_options = vim.fn.json_decode(env.ANVIL_SETTINGS),
    handlers = handlers,
  })
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  assert(vim.wait(30000, function() return client.initialized end, 50), "server did not initialize")
  return client
end

function M.code_actions(client, bufnr, diagnostics)
  local got
  client.request("textDocument/codeAction", {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } },
    context = { diagnostics = diagnostics or {} },
  }, function(_, result) got = result or {} end, bufnr)
  assert(vim.wait(30000, function() return got ~= nil end, 50), "no code actions")
  return got
end

-- run a server command and wait for its answer (an error's table or the result)
function M.execute(client, bufnr, command, arguments, timeout_ms)
  local done, answer = false, nil
  client.request("workspace/executeCommand", { command = command, arguments = arguments },
    function(e, result) answer = e or result; done = true end, bufnr)
  assert(vim.wait(timeout_ms or 30000, function() return done end, 50), command .. " did not answer")
  return answer
end

-- what Neovim does with a chosen code action: apply its edit (then save), run its command
function M.apply(client, bufnr, action)
  local answer
  if action.edit then
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
    vim.cmd("silent! wall")
  end
  if action.command then
    local cmd = type(action.command) == "table" and action.command or action
    answer = M.execute(client, bufnr, cmd.command, cmd.arguments)
  end
  return answer
end

-- list the code actions' titles in report.actions and apply the first whose title has ``needle``
function M.apply_titled(client, bufnr, report, needle)
  report.actions = {}
  local chosen
  for _, action in ipairs(M.code_actions(client, bufnr)) do
    table.insert(report.actions, action.title)
    if not chosen and action.title:find(needle, 1, true) then chosen = action end
  end
  assert(chosen, "no code action titled " .. needle)
  return M.apply(client, bufnr, chosen)
end

function M.stop(client)
  client.stop()
  vim.wait(5000, function() return client.is_stopped() end, 50)
end

return M
