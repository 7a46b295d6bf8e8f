// Compiled with `tsc --noEmit` by tests/test_js_client.py: the client's types agree with the
// exported catalogue types (types/bailian-apps.d.ts) and the generated chat events
// (types/chat-events.d.ts), and misuse fails to compile.
import { BailianApiError, createClient, fetchTransport, type ChatEvent } from '../src/index.js';

const client = createClient({ baseUrl: 'http://127.0.0.1:9000', token: 't', transport: fetchTransport() });

export async function usage(): Promise<string[]> {
  const finance = await client.apps.run('app2_finance', { range: 'last_7_days', area: 'all' });
  const titles: string[] = finance.result.insights.map((i) => i.title);
  const cached: boolean = finance.cached;
  const digest = await client.apps.run('app2a_finance_digest', { range: 'today' });
  // null when no_data: the range had no business day, so there is no headline
  const tone: 'positive' | 'neutral' | 'negative' = digest.result?.tone ?? 'neutral';
  const empty: boolean = finance.no_data && finance.result.insights.length === 0;
  titles.push(String(empty));
  // @ts-expect-error a range the catalogue does not have
  await client.apps.run('app2_finance', { range: 'next_year' });
  // @ts-expect-error app1_chat is streamed through chat.send, not apps.run
  await client.apps.run('app1_chat', { message: 'x' });
  const clock = await client.clock();
  const date: string = clock.business_date;
  const call = client.chat.send({ message: '你好' });
  for await (const ev of call) {
    const e: ChatEvent = ev;
    if (e.type === 'delta') titles.push(e.data.text);
    if (e.type === 'error') titles.push(e.data.code);
    if (e.type === 'done') {
      const used: number = e.data.usage.tokens_used;
      titles.push(String(used));
      // @ts-expect-error the done event's usage has no total_tokens (tokens_used is the one total)
      titles.push(String(e.data.usage.total_tokens));
    }
    // @ts-expect-error ping is an SSE comment: the client never yields it
    if (e.type === 'ping') titles.push('ping');
  }
  call.cancel();
  try {
    await client.admin.cronPreview('0 0 8 * * *');
  } catch (err) {
    if (err instanceof BailianApiError && err.isAuth) titles.push(err.code);
  }
  return [...titles, String(cached), tone, date];
}
