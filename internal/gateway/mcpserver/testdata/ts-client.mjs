#!/usr/bin/env node
// An MCP client we did not write: the official TypeScript SDK's, pinned in package.json. It
// connects to an MCP server, lists its tools, checks that every input schema is one every client
// accepts (an object schema without $ref, $schema or lists of types; names within
// ^[A-Za-z0-9_-]{1,64}$), calls tools and prints a JSON summary on stdout. The SDK's callTool
// also checks each structuredContent against the tool's outputSchema, and refuses a successful
// result without one.
//
//   node ts-client.mjs [--call NAME JSON]... URL
//   node ts-client.mjs [--call NAME JSON]... --stdio COMMAND [ARG]...
//
// Without --call it calls the first two read-only tools that need no arguments. It exits 1 when
// a schema breaks the rules or a call fails (a thrown error or an isError result).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const usage = 'usage: ts-client.mjs [--call NAME JSON]... (URL | --stdio COMMAND [ARG]...)';
const argv = process.argv.slice(2);
const calls = [];
let transport;
while (argv.length > 0) {
  const arg = argv.shift();
  if (arg === '--call') {
    if (argv.length < 2) throw new Error(usage);
    calls.push({ name: argv.shift(), arguments: JSON.parse(argv.shift()) });
  } else if (arg === '--stdio') {
    if (argv.length < 1) throw new Error(usage);
    // The server needs the environment its token comes from (RESTREAM_ACCESS_TOKEN); the SDK
    // would otherwise pass only a few variables it deems safe.
    const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => typeof v === 'string'));
    transport = new StdioClientTransport({ command: argv.shift(), args: argv.splice(0), env, stderr: 'inherit' });
  } else if (transport === undefined && !arg.startsWith('-')) {
    transport = new StreamableHTTPClientTransport(new URL(arg));
  } else {
    throw new Error(`unexpected argument ${arg}\n${usage}`);
  }
}
if (transport === undefined) throw new Error(usage);

// schemaProblems lists what in a schema some client would refuse. enum, const, default and
// examples hold data, not schemas, and are not searched.
function schemaProblems(node, at, out) {
  if (Array.isArray(node)) {
    node.forEach((v, i) => schemaProblems(v, `${at}/${i}`, out));
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' || k === '$schema') out.push(`${k} at ${at || '/'}`);
      if (k === 'type' && typeof v !== 'string') out.push(`type ${JSON.stringify(v)} at ${at || '/'}`);
      if (['enum', 'const', 'default', 'examples', 'example'].includes(k)) continue;
      schemaProblems(v, `${at}/${k}`, out);
    }
  }
  return out;
}

const client = new Client({ name: 'restreamkit-ts-client', version: '1.0.0' });
const summary = { server: null, protocolVersion: null, sessionId: null, instructions: null, tools: [], problems: [], calls: [] };

// The client keeps the negotiated protocol version to itself (only the HTTP transport exposes
// it), so the initialize answer is read on its way in, whatever the transport.
let onmessage;
Object.defineProperty(transport, 'onmessage', {
  configurable: true,
  get: () => onmessage,
  set: (handler) => {
    onmessage = handler && ((message, extra) => {
      if (summary.protocolVersion === null && typeof message?.result?.protocolVersion === 'string') {
        summary.protocolVersion = message.result.protocolVersion;
      }
      return handler(message, extra);
    });
  },
});

let failed = false;
try {
  await client.connect(transport);
  summary.server = client.getServerVersion();
  summary.instructions = client.getInstructions() ?? null;
  summary.sessionId = transport.sessionId ?? null;

  const { tools } = await client.listTools();
  for (const tool of tools) {
    summary.tools.push({ name: tool.name, annotations: tool.annotations ?? null, inputSchema: tool.inputSchema, outputSchema: tool.outputSchema ?? null });
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(tool.name)) summary.problems.push(`${tool.name}: name`);
    for (const [kind, schema] of [['inputSchema', tool.inputSchema], ['outputSchema', tool.outputSchema]]) {
      if (schema === undefined && kind === 'outputSchema') continue;
      if (schema?.type !== 'object') summary.problems.push(`${tool.name}: ${kind} is not an object schema`);
      for (const p of schemaProblems(schema, '', [])) summary.problems.push(`${tool.name}: ${kind}: ${p}`);
    }
  }

  if (calls.length === 0) {
    for (const tool of tools) {
      if (calls.length === 2) break;
      if (tool.annotations?.readOnlyHint === true && (tool.inputSchema.required ?? []).length === 0) {
        calls.push({ name: tool.name, arguments: {} });
      }
    }
  }
  for (const call of calls) {
    try {
      const result = await client.callTool(call);
      const text = result.content?.find((c) => c.type === 'text')?.text ?? '';
      summary.calls.push({ name: call.name, isError: result.isError === true, text: text.slice(0, 500), structuredContent: result.structuredContent ?? null });
      if (result.isError) failed = true;
    } catch (err) {
      summary.calls.push({ name: call.name, error: String(err?.message ?? err) });
      failed = true;
    }
  }
} catch (err) {
  summary.error = String(err?.stack ?? err);
  failed = true;
} finally {
  await client.close().catch(() => {});
}
if (summary.problems.length > 0 || summary.calls.length === 0) failed = true;
// Exit only once the summary is written: on a pipe, stdout is asynchronous and process.exit
// would cut a long summary (34 tools' schemas) short.
process.stdout.write(JSON.stringify(summary, null, 2) + '\n', () => process.exit(failed ? 1 : 0));
