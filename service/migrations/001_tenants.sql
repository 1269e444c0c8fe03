-- Tenant data: hotels, the user and WhatsApp-number mappings, and feature flag values.
CREATE TABLE tenants (
  id text PRIMARY KEY,
  hotel jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- user_key is the normalised user id (digits only for phone numbers), so "+34 600..." and "34600..." are one user.
CREATE TABLE tenant_users (
  user_key text PRIMARY KEY,
  user_id text NOT NULL,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE
);

CREATE TABLE tenant_phone_numbers (
  phone_number_id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE
);

-- tenant_id '' holds the store-wide (global) value of a flag.
CREATE TABLE feature_flags (
  flag text NOT NULL,
  tenant_id text NOT NULL DEFAULT '',
  enabled boolean NOT NULL,
  PRIMARY KEY (flag, tenant_id)
);
