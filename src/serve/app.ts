// The leaderboard's Hono app: HTML pages and a small JSON API over reports/runs/*/summary.json; no client script.

import { Hono } from 'hono';
import { curveCharts } from './charts.js';
import { compareCandidates, comparePage, parseRunModel } from './compare-page.js';
import { boardRows, parseBoardQuery } from './leaderboard.js';
import { leaderboardPage } from './leaderboard-page.js';
import { findEval } from './eval-store.js';
import { evalPage } from './matrix-page.js';
import { CSP, errorPage, notFoundPage } from './pages.js';
import { runPage, type CurveView } from './run-page.js';
import { benchChoicePage, parseFilter, samplesPage } from './samples-page.js';
import { createReportStore, findModel, findRun, modelsNamed, readCurve } from './store.js';
import { openaiRoutes, type OpenAIRoutesOptions } from './openai-api.js';

export interface AppOptions {
  reportsDir: string;
  /** Local models served over the OpenAI API under /v1 (`reprise serve` loads them before it listens). */
  openai?: OpenAIRoutesOptions;
}

const MISSING_SAMPLES = 'is missing or lies outside the run directory.';

export function createApp({ reportsDir, openai }: AppOptions): Hono {
  const store = createReportStore(reportsDir);
  const app = new Hono();

  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
  });

  app.get('/', (c) => c.html(leaderboardPage(store.load(), parseBoardQuery((k) => c.req.query(k)))));

  app.get('/evals/:id{.+}', (c) => {
    const ev = findEval(store.load().evals, c.req.param('id'));
    return ev ? c.html(evalPage(ev)) : c.html(notFoundPage('There is no eval result with that id.'), 404);
  });

  app.get('/runs/:id', (c) => {
    const reports = store.load();
    const run = findRun(reports, c.req.param('id'));
    if (!run) return c.html(notFoundPage('There is no run with that id.'), 404);
    const curves: CurveView[] = Object.keys(run.summary.curves).map((stage) => {
      const log = readCurve(run, stage);
      return { stage, charts: log ? curveCharts(log.rows) : null, steps: log?.rows.length ?? 0, torn: log?.torn ?? 0 };
    });
    return c.html(runPage(run, boardRows(reports).filter((r) => r.run === run), curves));
  });

  app.get('/runs/:id/samples/:model', (c) => {
    const reports = store.load();
    const run = findRun(reports, c.req.param('id'));
    if (!run) return c.html(notFoundPage('There is no run with that id.'), 404);
    const name = c.req.param('model');
    const bench = c.req.query('bench') || null;
    const named = modelsNamed(run, name);
    if (named.length === 0) return c.html(notFoundPage(`Run ${run.id} has no model of that name.`), 404);
    // a link from before runs held several benchmarks names only the model: say which there are, guess none
    if (!bench && named.length > 1) return c.html(benchChoicePage(run, named), 300);
    const model = findModel(run, name, bench);
    if (!model) return c.html(notFoundPage(`Run ${run.id} evaluated ${name} on ${named.map((m) => m.bench).join(', ')}, not on ${bench}.`), 404);
    const samples = store.samples(run, model);
    if (!samples) return c.html(notFoundPage(`The samples file of ${model.model} ${MISSING_SAMPLES}`), 404);
    return c.html(
      samplesPage({
        run,
        model,
        rows: samples.rows,
        torn: samples.torn,
        filter: parseFilter(c.req.query('filter')),
        problem: c.req.query('problem') || null,
        page: c.req.query('page'),
        compareWith: compareCandidates(reports, run, model)[0] ?? null,
      }),
    );
  });

  app.get('/compare', (c) => {
    const reports = store.load();
    const a = parseRunModel(reports, c.req.query('a'), c.req.query('bench'));
    if (!a) return c.html(notFoundPage('Name side a as ?a=<run>/<model> of a run that exists, with &bench=<benchmark> where that run evaluated the model on several.'), 404);
    const candidates = compareCandidates(reports, a.run, a.model);
    const qb = c.req.query('b') ?? candidates[0];
    // side b on a's benchmark where its run has it there, else the only benchmark it has
    const b = parseRunModel(reports, qb, a.model.bench) ?? parseRunModel(reports, qb);
    if (!b) return c.html(notFoundPage('Name side b as &b=<run>/<model> of a run that exists.'), 404);
    const sa = store.samples(a.run, a.model);
    const sb = store.samples(b.run, b.model);
    if (!sa || !sb) return c.html(notFoundPage(`The samples file of ${sa ? b.model.model : a.model.model} ${MISSING_SAMPLES}`), 404);
    const problems = [...new Set(sa.rows.map((r) => r.problem_id))];
    const problem = c.req.query('problem') || problems[0] || '';
    return c.html(comparePage({ problem, a: { ...a, rows: sa.rows }, b: { ...b, rows: sb.rows }, problems, candidates }));
  });

  app.get('/api/runs', (c) => c.json(store.load().runs.map((r) => r.summary)));
  app.get('/api/evals', (c) => c.json(store.load().evals.map((e) => ({ id: e.id, ...e.results }))));

  app.get('/api/runs/:id', (c) => {
    const run = findRun(store.load(), c.req.param('id'));
    return run ? c.json(run.summary) : c.json({ error: 'not found' }, 404);
  });

  if (openai) app.route('/v1', openaiRoutes(openai));
  app.notFound((c) => (c.req.path.startsWith('/api/') ? c.json({ error: 'not found' }, 404) : c.html(notFoundPage('No page at this address.'), 404)));

  app.onError((err, c) => {
    console.error(err);
    return c.html(errorPage(err.message), 500);
  });

  return app;
}
