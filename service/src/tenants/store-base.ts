/**
 * What the file and PostgreSQL tenant stores share: the current document and the listeners told of
 * each new one. Only the loading and persisting differ between them.
 */
import { TenantDataError, type TenantStore, type TenantsDocument } from './types.js';

export abstract class TenantStoreBase implements Pick<TenantStore, 'document' | 'onChange'> {
  private doc: TenantsDocument | undefined;
  private readonly listeners: ((doc: TenantsDocument) => void)[] = [];

  document(): TenantsDocument {
    if (!this.doc) throw new TenantDataError('tenant store not started');
    return this.doc;
  }

  onChange(listener: (doc: TenantsDocument) => void): void {
    this.listeners.push(listener);
  }

  protected get loaded(): boolean {
    return this.doc !== undefined;
  }

  /** Makes `doc` current and tells the listeners. */
  protected set(doc: TenantsDocument): void {
    this.doc = doc;
    for (const l of this.listeners) l(doc);
  }

  /** As `set`, but a reload that reads the same data changes nothing and tells no one: returns whether it changed. */
  protected replace(next: TenantsDocument): boolean {
    if (JSON.stringify(next) === JSON.stringify(this.doc)) return false;
    this.set(next);
    return true;
  }
}
