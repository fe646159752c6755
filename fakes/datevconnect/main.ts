/**
 * Runs the fake DATEVconnect server as its own process (for the benchmark or manual tests):
 *   node build/js/fakes/datevconnect/main.js [addressees] [phones] [port]
 * Prints "listening <url>" and, when started with an IPC channel, sends { url }.
 */
import { generateDataset } from './data';
import { FakeDatevConnect } from './server';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1000);
  const phones = Number(process.argv[3] ?? count * 2);
  const port = Number(process.argv[4] ?? 0);
  const fake = new FakeDatevConnect(generateDataset(count, phones), { recordRequests: false });
  const url = await fake.start(port);
  process.stdout.write(`listening ${url}\n`);
  process.send?.({ url });
  const stop = (): void => void fake.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}

void main();
