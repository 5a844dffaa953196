-- Spec-only mode from a real headless Neovim: open a spec that has neither a testbench nor a
-- reference, run "anvil.generate", and while it runs answer each question the server puts on the
-- spec as a diagnostic by running the code action for the value most candidates give (what
-- vim.lsp.buf.code_action does with a command action); then apply "Anvil: Insert unverified RTL",
-- save, and write what happened to a JSON file.
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")
local report = { questions = {}, answered = {}, messages = {}, actions = {} }
local waiting = nil -- the question diagnostic on the spec, if one waits

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(vim.env.ANVIL_SPEC))
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  local client = common.start(bufnr, {
    ["textDocument/publishDiagnostics"] = function(_, result)
      if result.uri ~= uri then return end
      waiting = nil
      for _, d in ipairs(result.diagnostics) do
        if d.code == "anvil-question" then
          waiting = d
          table.insert(report.questions, d.message)
        end
      end
    end,
    ["window/showMessage"] = function(_, result)
      table.insert(report.messages, result.message)
    end,
  })

  local done = false
  client.request("workspace/executeCommand", { command = "anvil.generate", arguments = { { uri = uri } } },
    function(e, result) report.generate = e or result; done = true end, bufnr)
  local seen = {}
  while not done do
    assert(vim.wait(200000, function()
      return done or (waiting ~= nil and not seen[waiting.data.key])
    end, 50), "neither a question nor the end of the run")
    if not done then
      local key = waiting.data.key
      seen[key] = true
      local chosen
      for _, action in ipairs(common.code_actions(client, bufnr, { waiting })) do
        if action.title:find("^Anvil: answer ") and action.title:find("(3 candidates)", 1, true) then
          chosen = action
        end
      end
      assert(chosen, "no answer action for question " .. key)
      table.insert(report.answered, common.apply(client, bufnr, chosen))
    end
  end
  report.left = waiting and waiting.message or vim.NIL

  report.insert = common.apply_titled(client, bufnr, report, "Insert unverified RTL")
  common.stop(client)
end)

if ok then common.finish(report, "ok") else report.error = tostring(err); common.finish(report, "error") end
