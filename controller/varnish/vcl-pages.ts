/**
 * The small HTML page Varnish answers with when it cannot serve a site. Static text only: the
 * Host header, URL or backend names are never echoed (no reflected markup, no internals).
 * The result goes inside a VCL long string `{"…"}`, so it must not contain `"}`.
 */
export function errorPage(status: number, title: string, message: string): string {
  const page = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${status} ${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#333}</style>
</head>
<body>
<h1>${title}</h1>
<p>${message}</p>
</body>
</html>
`;
  if (page.includes('"}') || /[<>&"]/.test(title + message)) throw new Error("error page text must be plain");
  return page;
}
