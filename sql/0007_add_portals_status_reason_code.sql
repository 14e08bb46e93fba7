-- A portal's status reason becomes a code from the reason table in
-- src/status.c (DESIGN §11); status_reason keeps the text as shown, composed
-- from that table.  Today's free-text reasons are mapped to their codes.
ALTER TABLE portals ADD COLUMN status_reason_code text NOT NULL DEFAULT ''
	CHECK (status_reason_code IN ('', 'refresh_rejected', 'user_not_admin', 'user_not_found',
		'scopes_missing', 'revoked_at_hubspot', 'disconnected_here', 'removed'));

UPDATE portals SET status_reason_code = CASE
	WHEN removed_at IS NOT NULL THEN 'removed'
	WHEN status = 'connected' THEN ''
	WHEN status_reason LIKE 'New permissions required%' THEN 'scopes_missing'
	WHEN status_reason LIKE '%no longer a Super Admin or Admin%' THEN 'user_not_admin'
	WHEN status_reason LIKE '%deactivated or no longer on the portal%' THEN 'user_not_found'
	WHEN status_reason LIKE 'Disconnected by%' THEN 'disconnected_here'
	WHEN status = 'disconnected' THEN 'revoked_at_hubspot'
	ELSE 'refresh_rejected'
END;
