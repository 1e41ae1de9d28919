// demo-frontend: an ordinary Express 5 app written as an ES module.
// It imports nothing from nodetel or OpenTelemetry: run it with
//   BACKEND_URL=http://127.0.0.1:<port> node --require ./preload demo/frontend.mjs
// and each request becomes a trace that continues into demo-backend.

import express from 'express';
import http from 'node:http';

const backend = process.env.BACKEND_URL;
if (!backend) {
  console.error('BACKEND_URL is not set (e.g. BACKEND_URL=http://127.0.0.1:3001)');
  process.exit(2);
}

// The old-style way to call another service: node:http's http.get().
function httpGetJson(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode, body: JSON.parse(body) });
          } catch (err) {
            reject(err);
          }
        });
      })
      .on('error', reject);
  });
}

const app = express();

// Health checks are polled constantly; they should not produce traces.
app.get('/healthz', (req, res) => {
  res.send('ok');
});

app.get('/orders/:id', async (req, res) => {
  const { id } = req.params;
  const sku = `sku-${id}`;

  // The modern way: global fetch() (undici).
  const inventory = await (await fetch(`${backend}/inventory/${sku}`)).json();
  const price = await httpGetJson(`${backend}/prices/${sku}`);

  console.log(`order ${id}: ${sku} in stock=${inventory.inStock} price=${price.body.price} ${price.body.currency}`);
  res.json({ id, sku, inStock: inventory.inStock, price: price.body.price, currency: price.body.currency });
});

app.get('/checkout', async (req, res) => {
  const payment = await fetch(`${backend}/payments/fail`);
  if (!payment.ok) {
    console.log(`checkout failed: payment service answered ${payment.status}`);
    res.status(502).json({ error: 'payment service unavailable' });
    return;
  }
  res.json({ ok: true });
});

const server = app.listen(0, '127.0.0.1', (err) => {
  if (err) throw err;
  console.log(`listening ${server.address().port}`);
});
