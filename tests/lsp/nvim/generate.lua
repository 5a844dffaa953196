-- Drives Anvil's language server from a real headless Neovim (0.7+ API: vim.lsp.start_client):
-- open the spec, run "anvil.generate", pick "Anvil: Insert passing RTL" from the code actions,
-- apply it the way Neovim applies code actions, save, and write what happened to a JSON file.
local common = dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")
local report = { progress = {}, diagnostics = {}, messages = {} }

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(vim.env.ANVIL_SPEC))
  local bufnr = vim.api.nvim_get_current_buf()
  local client = common.start(bufnr, {
    ["$/progress"] = function(_, result)
      table.insert(report.progress, result.value.kind)
    end,
    ["textDocument/publishDiagnostics"] = function(_, result)
      table.insert(report.diagnostics, { uri = result.uri, count = #result.diagnostics })
    end,
    ["window/showMessage"] = function(_, result)
      table.insert(report.messages, result.message)
    end,
  })
  report.generate = common.execute(client, bufnr, "anvil.generate", { { uri = vim.uri_from_bufnr(bufnr) } }, 180000)

  report.insert = common.apply_titled(client, bufnr, report, "Insert passing RTL")
  common.stop(client)
end)

if ok then common.finish(report, "ok") else report.error = tostring(err); common.finish(report, "error") end
