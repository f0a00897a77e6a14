import { chromium } from 'playwright-core';
const [,, ...urls] = process.argv;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
page.on('console', (m) => console.log('console:', m.type(), m.text()));
page.on('requestfailed', (r) => console.log('failed:', r.url()));
let i = 0;
for (const url of urls) {
  await page.goto(url);
  await page.screenshot({ path: `/tmp/h7/shot${i++}.png`, fullPage: true });
}
await browser.close();
