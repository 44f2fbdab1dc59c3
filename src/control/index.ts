/**
 * Control surfaces: what an operator sees and switches while the engine runs. The runner builds one
 * `ControlState` from its streams and hands it to the surfaces; they never touch the graph directly.
 *
 * ```ts
 * const control = createControlState({
 *   mode: 'live', accountCurrency: 'USD', strategyIds: ['gotobi-a', 'gotobi-b'],
 *   readPositions: () => book.positions(), store: journalControlStore(journal),   // or no store: memory only
 * });
 * const graph = buildGraph({ …, halts$: control.halts$ });              // kill, flatten, resume act in the order path
 * graph.events$.pipe(tap(control.record)).subscribe(…);                  // bars, equity, orders, fills
 * control.attach({ connection$ });                                       // live broker/feed state
 * const surfaces = await startControlSurfaces(control, config.interfaces);
 * // … on shutdown:
 * await surfaces.close();
 * control.dispose();
 * ```
 */
export {
  createControlState,
  UnknownStrategyError,
  type ControlEvent,
  type ControlEventKind,
  type ControlSources,
  type ControlState,
  type ControlStateOptions,
  type EngineControl,
  type EngineEvent,
  type EngineMode,
  type EngineStatus,
  type ControlStore,
  type ControlStoreAction,
  type KillSwitchState,
  type LegPnl,
  type RestoredControl,
  type StrategyHaltState,
  type PnlSummary,
  type StrategyPnl,
} from './control';
export { journalControlStore, restoreControl } from './controlStore';
export { startHttpApi, type HttpApi, type HttpApiOptions } from './httpApi';
export { startTelegramBot, type TelegramBot, type TelegramBotClosed, type TelegramBotOptions, type TelegramLogEntry } from './telegramBot';
export { escapeMarkdownV2 } from './telegramFormat';
export { startControlSurfaces, type ControlSurfaces, type ControlSurfacesEnvironment } from './surfaces';
export { controlSurfacesConfigSchema, type ControlSurfacesConfig } from './surfacesConfig';
