// /ui/sql[?q=<statement>] → SQL editor (statement-execution API), results grid and query history.

export async function render(root, params) {
  const { renderEditor } = await import('./sql/editor.js');
  return renderEditor(root, params);
}
