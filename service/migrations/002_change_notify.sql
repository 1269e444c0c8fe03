-- Every change to tenant data notifies listeners, so running services pick it up without a restart.
-- The payload is the schema, so services of other schemas in the same database ignore it.
CREATE FUNCTION notify_tenants_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('hotel_tenants_changed', TG_TABLE_SCHEMA);
  RETURN NULL;
END
$$;

CREATE TRIGGER tenants_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenants
  FOR EACH STATEMENT EXECUTE FUNCTION notify_tenants_changed();
CREATE TRIGGER tenant_users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenant_users
  FOR EACH STATEMENT EXECUTE FUNCTION notify_tenants_changed();
CREATE TRIGGER tenant_phone_numbers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenant_phone_numbers
  FOR EACH STATEMENT EXECUTE FUNCTION notify_tenants_changed();
CREATE TRIGGER feature_flags_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON feature_flags
  FOR EACH STATEMENT EXECUTE FUNCTION notify_tenants_changed();
