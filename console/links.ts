// Where a request's console page is: derived from its API link (`<publicUrl>/v1/actions/<id>`),
// so every place that already carries that link (cards, callbacks, MCP answers) can name it.
export const CONSOLE_PATH = '/console';

export function consoleLinkOf(apiLink: string): string {
  const at = apiLink.lastIndexOf('/v1/actions/');
  if (at < 0) return apiLink;
  return `${apiLink.slice(0, at)}${CONSOLE_PATH}/requests/${apiLink.slice(at + '/v1/actions/'.length)}`;
}
