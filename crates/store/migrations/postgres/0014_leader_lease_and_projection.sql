-- Work done once per platform (issue 11): a named lease one node holds at a time, fenced by a
-- token that grows with every new holder, and the leader's solved payout projection, which the
-- other nodes read instead of solving it themselves.
CREATE TABLE leases (
    name       TEXT   PRIMARY KEY,
    holder     TEXT   NOT NULL,
    token      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE projections (
    period    TEXT   PRIMARY KEY,
    solved_at BIGINT NOT NULL,
    entries   TEXT   NOT NULL
);
