// The leaderboard's Hono app: HTML pages and a small JSON API over reports/runs/*/summary.json.

import { Hono } from 'hono';
import { curveCharts } from './charts.js';
import { errorPage, leaderboardPage, notFoundPage, runPage, type CurveView } from './pages.js';
import { parseFilter, samplesPage } from './samples-page.js';
import { createReportStore, findModel, findRun, readCurve, readSamples } from './store.js';

export interface AppOptions {
  reportsDir: string;
}

export function createApp({ reportsDir }: AppOptions): Hono {
  const store = createReportStore(reportsDir);
  const app = new Hono();

  app.use('*', async (c, next) => {
    await next();
    // Pages carry no script; forbid any that an unescaped string might smuggle in.
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'");
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
  });

  app.get('/', (c) => c.html(leaderboardPage(store.load())));

  app.get('/runs/:id', (c) => {
    const run = findRun(store.load(), c.req.param('id'));
    if (!run) return c.html(notFoundPage('There is no run with that id.'), 404);
    const curves: CurveView[] = Object.keys(run.summary.curves).map((stage) => {
      const log = readCurve(run, stage);
      return { stage, charts: log ? curveCharts(log.rows) : null, steps: log?.rows.length ?? 0, torn: log?.torn ?? 0 };
    });
    return c.html(runPage(run, curves));
  });

  app.get('/runs/:id/samples/:model', (c) => {
    const run = findRun(store.load(), c.req.param('id'));
    if (!run) return c.html(notFoundPage('There is no run with that id.'), 404);
    const model = findModel(run, c.req.param('model'));
    if (!model) return c.html(notFoundPage(`Run ${run.id} has no model of that name.`), 404);
    const samples = readSamples(run, model);
    if (!samples) return c.html(notFoundPage(`The samples file of ${model.model} is missing or lies outside the run directory.`), 404);
    const filter = parseFilter(c.req.query('filter'));
    return c.html(samplesPage({ run, model, rows: samples.rows, torn: samples.torn, filter, page: c.req.query('page') }));
  });

  app.get('/api/runs', (c) => c.json(store.load().runs.map((r) => r.summary)));

  app.get('/api/runs/:id', (c) => {
    const run = findRun(store.load(), c.req.param('id'));
    return run ? c.json(run.summary) : c.json({ error: 'not found' }, 404);
  });

  app.notFound((c) => (c.req.path.startsWith('/api/') ? c.json({ error: 'not found' }, 404) : c.html(notFoundPage('No page at this address.'), 404)));

  app.onError((err, c) => {
    console.error(err);
    return c.html(errorPage(err.message), 500);
  });

  return app;
}
