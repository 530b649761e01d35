import dns2 from 'dns2';

/**
 * A real authoritative DNS server on 127.0.0.1 (UDP, random port) answering TXT records from a map.
 * Names not in the map answer NXDOMAIN. Point DNS_SERVERS at `server` to use it.
 */
export interface TestDnsServer {
  server: string;
  setTxt(name: string, ...records: Array<string | string[]>): void;
  clear(): void;
  queries: string[];
  /** Answer this many ms late (to hold a verify request in flight). */
  delayMs: number;
  close(): Promise<void>;
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const { Packet } = dns2;
  const records = new Map<string, Array<string | string[]>>();
  const queries: string[] = [];
  const state = { delayMs: 0 };
  const server = dns2.createServer({
    udp: true,
    handle(request: any, send: (response: any) => void) {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const name = String(question.name).toLowerCase();
      queries.push(name);
      const answers = question.type === Packet.TYPE.TXT ? records.get(name) : undefined;
      if (!answers) response.header.rcode = Packet.RCODE.NXDOMAIN;
      for (const data of answers ?? []) {
        response.answers.push({ name: question.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 60, data } as any);
      }
      setTimeout(() => send(response), state.delayMs);
    },
  });
  await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const { port } = server.addresses().udp as { port: number };
  return {
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    server: `127.0.0.1:${port}`,
    setTxt(name, ...values) {
      records.set(name.toLowerCase(), values);
    },
    clear() {
      records.clear();
    },
    queries,
    close: () => server.close(),
  };
}
