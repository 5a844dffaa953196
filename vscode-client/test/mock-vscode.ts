// A small stand-in for the `vscode` module, enough for the extension's activation and commands.
export const calls: { kind: string; args: unknown[] }[] = [];
export const registered = new Map<string, (...args: any[]) => any>();
export const settings: Record<string, unknown> = {};
export const state = { activeUri: undefined as string | undefined, pythonPath: undefined as string | undefined };

export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }

/** The progress notifications shown: their options, reports, and a way to press Cancel. */
export const progresses: { options: any; reports: any[]; cancel(): void }[] = [];

export class Uri {
  constructor(private readonly value: string) {}
  static parse(value: string): Uri { return new Uri(value); }
  static file(p: string): Uri { return new Uri(`file://${p}`); }
  get fsPath(): string { return this.value.replace(/^file:\/\//, ""); }
  toString(): string { return this.value; }
}

export const statusItem = {
  text: "", tooltip: "" as string | undefined, command: undefined as string | undefined, visible: false,
  history: [] as string[],
  show() { this.visible = true; this.history.push(`show:${this.text}`); },
  hide() { this.visible = false; this.history.push("hide"); },
  dispose() {},
};

export const output = {
  lines: [] as string[],
  appendLine(line: string) { this.lines.push(line); },
  show() { calls.push({ kind: "output.show", args: [] }); },
  dispose() {},
};

export const window = {
  createOutputChannel: (_name: string, _opts?: unknown) => output,
  createStatusBarItem: () => statusItem,
  showErrorMessage: (...args: unknown[]) => { calls.push({ kind: "error", args }); return Promise.resolve(undefined); },
  showWarningMessage: (...args: unknown[]) => { calls.push({ kind: "warning", args }); return Promise.resolve(undefined); },
  showInformationMessage: (...args: unknown[]) => { calls.push({ kind: "info", args }); return Promise.resolve(undefined); },
  withProgress: async (options: any, task: (progress: any, token: any) => Promise<unknown>) => {
    const listeners: (() => void)[] = [];
    const shown = { options, reports: [] as any[], cancel() { for (const l of listeners) { l(); } } };
    progresses.push(shown);
    const token = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => {
      listeners.push(l);
      return { dispose() { listeners.splice(listeners.indexOf(l), 1); } };
    } };
    return task({ report: (value: any) => shown.reports.push(value) }, token);
  },
  get activeTextEditor() {
    return state.activeUri ? { document: { uri: Uri.parse(state.activeUri) } } : undefined;
  },
};

export const commands = {
  // as VS Code does: a second registration of one name throws
  registerCommand: (name: string, fn: (...args: any[]) => any) => {
    if (registered.has(name)) {
      throw new Error(`command '${name}' already exists`);
    }
    registered.set(name, fn);
    return { dispose() { registered.delete(name); } };
  },
};

export const workspace = {
  getConfiguration: (_section: string) => ({ get: (key: string) => settings[key] }),
};

export const extensions = {
  getExtension: (id: string) => id === "ms-python.python" && state.pythonPath ? {
    isActive: true,
    exports: { environments: { getActiveEnvironmentPath: () => ({ path: state.pythonPath }) } },
  } : undefined,
};
