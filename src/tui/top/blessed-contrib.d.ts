// blessed-contrib ships no types; the dashboard uses a few widgets through this loose declaration.
declare module 'blessed-contrib' {
  const contrib: {
    grid: new (opts: { rows: number; cols: number; screen: unknown }) => {
      set(row: number, col: number, rowSpan: number, colSpan: number, widget: unknown, opts: Record<string, unknown>): any;
    };
    line: unknown;
    bar: unknown;
    table: unknown;
    log: unknown;
  };
  export default contrib;
}
