-- Drives Anvil's language server from a real headless Neovim (0.7+ API: vim.lsp.start_client):
-- open the spec, run "anvil.generate", pick "Anvil: Insert passing RTL" from the code actions,
-- apply it the way Neovim applies code actions, save, and write what happened to a JSON file.
local env = vim.env
local report = { progress = {}, diagnostics = {}, messages = {} }

local function finish(status)
  report.status = status
  local f = io.open(env.ANVIL_NVIM_REPORT, "w")
  f:write(vim.fn.json_encode(report))
  f:close()
  vim.cmd("qa!")
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(env.ANVIL_SPEC))
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = "anvil",
    cmd = { env.ANVIL_PYTHON, "-m", "anvil", "serve" },
    root_dir = env.ANVIL_ROOT,
    init_options = vim.fn.json_decode(env.ANVIL_SETTINGS),
    handlers = {
      ["$/progress"] = function(_, result)
        table.insert(report.progress, result.value.kind)
      end,
      ["textDocument/publishDiagnostics"] = function(_, result)
        table.insert(report.diagnostics, { uri = result.uri, count = #result.diagnostics })
      end,
      ["window/showMessage"] = function(_, result)
        table.insert(report.messages, result.message)
      end,
    },
  })
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  assert(vim.wait(30000, function() return client.initialized end, 50), "server did not initialize")

  local uri = vim.uri_from_bufnr(bufnr)
  local done, answer = false, nil
  client.request("workspace/executeCommand", { command = "anvil.generate", arguments = { { uri = uri } } },
    function(e, result) answer = e or result; done = true end, bufnr)
  assert(vim.wait(180000, function() return done end, 50), "generate did not answer")
  report.generate = answer

  local actions
  client.request("textDocument/codeAction", {
    textDocument = { uri = uri },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } },
    context = { diagnostics = {} },
  }, function(e, result) actions = result or {} end, bufnr)
  assert(vim.wait(30000, function() return actions ~= nil end, 50), "no code actions")
  report.actions = {}
  local chosen
  for _, action in ipairs(actions) do
    table.insert(report.actions, action.title)
    if action.title:find("Insert passing RTL", 1, true) then chosen = action end
  end
  assert(chosen, "no insert action")
  if chosen.edit then
    vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding)
    vim.cmd("silent! wall")
  end
  if chosen.command then
    local cmd = type(chosen.command) == "table" and chosen.command or chosen
    local inserted = false
    client.request("workspace/executeCommand", { command = cmd.command, arguments = cmd.arguments },
      function(e, result) report.insert = e or result; inserted = true end, bufnr)
    assert(vim.wait(30000, function() return inserted end, 50), "insert did not answer")
  end
  client.stop()
  vim.wait(5000, function() return client.is_stopped() end, 50)
end)

if ok then finish("ok") else report.error = tostring(err); finish("error") end
