// TypeScript 6, module node16 (CommonJS output), Express 5 through useExpressServer(express()).
import { buildApp } from './app.js';
import { writeTokens } from './jwt.js';

async function main() {
  const app = await buildApp();
  writeTokens('jwt-tokens.txt');
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    console.log(`READY ${typeof address === 'object' && address ? address.port : address}`);
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
