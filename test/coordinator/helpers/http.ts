/**
 * A raw HTTP client for API tests: any bytes, any headers, chunked or not, and a reply sent mid-upload (413) is
 * still read.
 */
import * as http from "http";

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** Raw node http: lets a test send any bytes, any headers, chunked or not, and read a reply sent mid-upload. */
export function request(url: string, o: { method?: string; path?: string; body?: string | Buffer; headers?: http.OutgoingHttpHeaders; chunked?: boolean } = {}): Promise<Reply> {
  const u = new URL(o.path ?? "/", url);
  const body = o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body, "utf8");
  const headers: http.OutgoingHttpHeaders = { "Content-Type": "application/json", ...o.headers };
  if (body && !o.chunked) headers["Content-Length"] = body.length;
  return new Promise((resolve, reject) => {
    let replied = false;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: o.method ?? (body ? "POST" : "GET"), headers, agent: false }, (res) => {
      replied = true;
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    // The server may answer and close while we are still uploading (413): a write error after a reply is expected.
    req.on("error", (err) => (replied ? undefined : reject(err)));
    if (body && o.chunked) {
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(body);
  });
}
