/*
 * db_team: an organisation's team -- its members with their role and last
 * sign-in, the organisations a user belongs to, invitations (a
 * single-use set-password link for an address, stored as its SHA-256) and
 * password resets (the same for an existing account), and the rate limit
 * of reset requests per address.  Changing a role and removing a member
 * keep the organisation's last owner in SQL, under a lock on the
 * organisation's row (db_team_lock).  Return contract as in db.h.
 */
#ifndef JS_DB_TEAM_H
#define JS_DB_TEAM_H

#include "db.h"

/* A member of an organisation. */
struct member_row {
	long long user_id;
	char email[256];
	char role[16];
	int disabled;
	char last_sign_in[32]; /* local_iso() in the reader's zone; "" never */
};
/* The organisation's members, owners first, then by email: *out (free()),
 * *n (at most 500), times in zone tz.  1 or -1. */
int db_team_members(struct db *db, long long org, const char *tz, struct member_row **out, int *n);

/* An organisation a user belongs to. */
struct org_row {
	long long org_id;
	char name[256];
	char role[16];
	char last_sign_in[32]; /* local_iso(); "" never */
};
/* The user's organisations by name: *out (free()), *n (at most 100).  1 or
 * -1. */
int db_team_orgs(struct db *db, long long user, const char *tz, struct org_row **out, int *n);

/* Note a sign-in of user to org (a new session there).  1 or -1. */
int db_team_signed_in(struct db *db, long long user, long long org);
/* 1 when an account with this email (any case) is a member of org, 0 not,
 * -1. */
int db_team_is_member(struct db *db, long long org, const char *email);

/*
 * In the caller's transaction: lock org's row (every change of its team
 * waits for the one in hand), then read, after the lock, the roles of
 * actor and target in org ("" not a member) and target's email.  1, or
 * -1.
 */
struct team_pair {
	char actor_role[16], target_role[16];
	char target_email[256];
};
int db_team_lock(struct db *db, long long org, long long actor, long long target,
		 struct team_pair *out);
/* In the caller's transaction (after db_team_lock): set target's role, or
 * remove target from org and end their sessions there.  1 done, 0 refused
 * because org would have no owner left (or target is not a member), -1. */
int db_team_set_role(struct db *db, long long org, long long target, const char *role);
int db_team_remove(struct db *db, long long org, long long target);

/* A pending invitation, as the team page lists it. */
struct invite_item {
	long long id;
	char email[256], role[16], inviter[256];
	char created[32], expires[32]; /* local_iso() */
};
/* org's pending invitations (not accepted, revoked or expired), newest
 * first: *out (free()), *n (at most 200).  1 or -1. */
int db_team_invites(struct db *db, long long org, const char *tz, struct invite_item **out, int *n);
/* In the caller's transaction: revoke org's pending invitations of email,
 * then create one for email with role by user, valid ttl_s.  1 with *id,
 * -1. */
int db_team_invite_create(struct db *db, long long org, const char *email, const char *role,
			  const char *token_hash, long long by, long ttl_s, long long *id);
/* Revoke org's pending invitation id: 1 with its email (256 bytes), 0 no
 * such pending invitation, -1. */
int db_team_invite_revoke(struct db *db, long long org, long long id, char email[256]);

/* An invitation found by its link. */
struct invite_row {
	long long id, org_id;
	char email[256], role[16], org_name[256], inviter[256];
	int expired, revoked, accepted;
	long long user_id; /* the account with that email; 0 none yet */
	int user_disabled;
};
/* 1 found, 0 not, -1. */
int db_team_invite_by_hash(struct db *db, const char *token_hash, struct invite_row *out);
/*
 * Accept invitation id in one transaction: create the account (email,
 * password_hash) when user is 0, use the invitation up (only while it is
 * pending: two concurrent accepts, one wins) and add the membership with
 * its role, with the organisation's activity entry (invite_accepted,
 * message entry).  1 with *user_id, 0 the invitation is no longer pending
 * or an account with the email appeared meanwhile (nothing changed), -1.
 */
int db_team_invite_accept(struct db *db, const struct invite_row *inv, const char *password_hash,
			  const char *entry, long long *user_id);

/* Reset requests for email (known or not) within window seconds: *n; and
 * note one (forgetting this address's older than a day).  1 or -1. */
int db_team_reset_requests(struct db *db, const char *email, long window, long *n);
int db_team_reset_note(struct db *db, const char *email);
/* A reset link for user, valid ttl_s.  1 or -1. */
int db_team_reset_create(struct db *db, long long user, const char *token_hash, long ttl_s);

/* A reset link found by its hash. */
struct reset_row {
	long long id, user_id;
	char email[256];
	int expired, used, disabled;
};
int db_team_reset_by_hash(struct db *db, const char *token_hash, struct reset_row *out);
/*
 * Use reset link id in one transaction (only while unused and unexpired:
 * of two concurrent uses one wins): set the user's password hash, use up
 * every other link of theirs, end all their sessions and forget their
 * sign-in failures.  1 done, 0 the link is no longer usable (nothing
 * changed), -1.
 */
int db_team_reset_use(struct db *db, const struct reset_row *rs, const char *password_hash);

#endif
