//! The server's X25519 keys, which open the sealed entries devices upload.
//!
//! Created on first start and kept in the `server_keys` table (the database is the server's
//! trusted store; back it up and protect it like the orders it holds). Every generation stays
//! loaded, so entries sealed to an older key still open; new devices get the newest.

use std::collections::BTreeMap;

use chrono::Utc;
use satchel_core::vault::{hex, BoxSecret, Rng};

use crate::db::{timestamp, Db};
use crate::errors::AppError;

/// The operating system's random source as core's [`Rng`] port.
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&mut self, buf: &mut [u8]) {
        // getrandom fails only on platforms without a random source, where no key is safe:
        // refuse to go on rather than produce a weak key.
        if let Err(e) = getrandom::fill(buf) {
            panic!("no operating-system random source: {e}");
        }
    }
}

/// The loaded key generations.
pub struct ServerKeys {
    keys: BTreeMap<u32, BoxSecret>,
}

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKeys").field("generations", &self.keys.keys().collect::<Vec<_>>()).finish()
    }
}

impl ServerKeys {
    /// Loads every generation, creating the first on a fresh database.
    pub async fn load_or_create(db: &Db) -> Result<ServerKeys, AppError> {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT key_id, secret FROM server_keys ORDER BY key_id")
            .fetch_all(&db.pool)
            .await?;
        let mut keys = BTreeMap::new();
        for (id, secret) in rows {
            let id = u32::try_from(id).map_err(|_| AppError::Internal("server key id out of range".into()))?;
            let bytes = hex::decode(&secret).ok_or_else(|| AppError::Internal("corrupt server key".into()))?;
            let secret = BoxSecret::from_slice(&bytes).map_err(|_| AppError::Internal("corrupt server key".into()))?;
            keys.insert(id, secret);
        }
        if keys.is_empty() {
            let secret = BoxSecret::generate(&mut OsRng);
            // ON CONFLICT DO NOTHING: instances starting together (several against one PostgreSQL)
            // keep one first key, the one that committed first; the others load it.
            sqlx::query(
                "INSERT INTO server_keys (key_id, secret, created_at) VALUES (1, $1, $2) \
                 ON CONFLICT (key_id) DO NOTHING",
            )
            .bind(hex::encode(secret.to_bytes().as_ref()))
            .bind(timestamp(Utc::now()))
            .execute(&db.pool)
            .await?;
            return Box::pin(Self::load_or_create(db)).await;
        }
        Ok(ServerKeys { keys })
    }

    /// The newest generation and its public key (hex), for new devices.
    pub fn current(&self) -> Result<(u32, String), AppError> {
        let (id, secret) = self.keys.iter().next_back().ok_or_else(|| AppError::Internal("no server key".into()))?;
        Ok((*id, hex::encode(&secret.public_key())))
    }

    /// The secret key of generation `id`.
    pub fn get(&self, id: u32) -> Option<&BoxSecret> {
        self.keys.get(&id)
    }
}
