// The status bar item: which generation is running; clicking it cancels.

export interface StatusView {
  text: string;
  tooltip: string;
  command: string | undefined;
  visible: boolean;
}

export class JobStatus {
  private running = new Map<string, string>(); // key -> file name

  start(key: string, name: string): void { this.running.set(key, name); }

  finish(key: string): void { this.running.delete(key); }

  view(): StatusView {
    const names = [...this.running.values()];
    if (names.length === 0) {
      return { text: "", tooltip: "", command: undefined, visible: false };
    }
    const label = names.length === 1 ? names[0] : `${names.length} designs`;
    return {
      text: `$(sync~spin) Anvil: generating ${label}`,
      tooltip: "Click to cancel",
      command: "anvil.cancelJobs",
      visible: true,
    };
  }
}
