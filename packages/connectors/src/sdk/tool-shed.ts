/** The object handed to a twist's constructor (§2.1): resolves `build()` and serves `this.tools`. */

/** Empty marker class: built-in tool classes extend it, `Tool` implements it (§2.3). */
export abstract class ITool {}

 
export type ToolClass = abstract new (...args: any[]) => unknown;

export interface ToolBuilder {
   
  <C extends ToolClass>(ToolClass: C, options?: any): Promise<InstanceType<C>>;
}

export interface ToolShed {
  build: ToolBuilder;
  ready: boolean;
  waitForReady(): Promise<void>;
  getTools<T>(): T;
}

/** Upstream tests construct connectors with `{ getTools: () => fakeTools }` only: everything else is optional. */
export type ToolShedLike = Partial<ToolShed> & { getTools<T>(): T };
