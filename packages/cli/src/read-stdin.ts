/**
 * Everything on stdin as text, or undefined when stdin is a terminal. Gives up
 * after `timeoutMs` without end of input and returns what arrived by then.
 */
export async function readStdin(timeoutMs = Number.POSITIVE_INFINITY): Promise<string | undefined> {
  const stdin = process.stdin;
  if (stdin.isTTY) return undefined;
  return new Promise((resolve) => {
    let text = "";
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      stdin.off("data", onData).off("end", done).off("error", done);
      stdin.destroy();
      resolve(text);
    };
    const onData = (chunk: string) => (text += chunk);
    stdin.setEncoding("utf8").on("data", onData).once("end", done).once("error", done);
    if (Number.isFinite(timeoutMs)) timer = setTimeout(done, timeoutMs);
  });
}
