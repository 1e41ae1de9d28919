'use strict';
// demo-backend: an ordinary Express 5 app written in CommonJS.
// It imports nothing from nodetel or OpenTelemetry: run it with
//   node --require ./preload demo/backend.cjs
// and its requests become server spans, joined to the caller's trace.

const express = require('express');
const { setTimeout: sleep } = require('node:timers/promises');

const app = express();

const stock = { 'sku-1': 12, 'sku-2': 0, 'sku-3': 4 };
const prices = { 'sku-1': 19.9, 'sku-2': 5.5, 'sku-3': 120 };

// Called by the frontend with fetch().
app.get('/inventory/:sku', async (req, res) => {
  await sleep(5); // pretend to query a database
  const { sku } = req.params;
  res.json({ sku, inStock: stock[sku] ?? 0 });
});

// Called by the frontend with http.get().
app.get('/prices/:sku', async (req, res) => {
  await sleep(3);
  const { sku } = req.params;
  res.json({ sku, price: prices[sku] ?? 9.99, currency: 'EUR' });
});

// Always fails: Express 5 forwards the rejected promise to the error handler.
app.get('/payments/fail', async () => {
  await sleep(2);
  throw new Error('card declined by payment provider');
});

app.use((err, req, res, _next) => {
  console.error(`${req.method} ${req.originalUrl} failed: ${err.message}`);
  res.status(500).json({ error: err.message });
});

const server = app.listen(0, '127.0.0.1', (err) => {
  if (err) throw err;
  console.log(`listening ${server.address().port}`);
});
