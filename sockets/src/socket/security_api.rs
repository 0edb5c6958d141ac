//! The socket's security options with libzmq's names and semantics: PLAIN_SERVER,
//! PLAIN_USERNAME, PLAIN_PASSWORD, CURVE_SERVER, CURVE_PUBLICKEY, CURVE_SECRETKEY and
//! CURVE_SERVERKEY choose the mechanism and its side, MECHANISM reads it,
//! ZAP_DOMAIN and ZAP_ENFORCE_DOMAIN say how the socket's ZAP handler is asked. As every
//! option, they apply to connections made after they are set.

use bytes::Bytes;
use ringmq_transports::security::{CurvePublicKey, CurveSecretKey, Mechanism, Secret};
use ringmq_transports::{Error, Result};

use super::Socket;

/// The longest PLAIN username, password or ZAP domain (libzmq's UCHAR_MAX).
const MAX_SECURITY_STRING: usize = 255;

fn short_enough(option: &str, value: &[u8]) -> Result<()> {
    if value.len() > MAX_SECURITY_STRING {
        return Err(Error::InvalidArgument(format!(
            "{option} takes at most {MAX_SECURITY_STRING} octets, not {}",
            value.len()
        )));
    }
    Ok(())
}

impl Socket {
    /// ZMQ_MECHANISM: the security mechanism connections made now use.
    ///
    /// ```
    /// use ringmq_sockets::{Context, SocketType, Mechanism};
    /// let ctx = Context::new()?;
    /// let mut push = ctx.socket(SocketType::Push)?;
    /// assert_eq!(push.mechanism(), Mechanism::Null);
    /// push.set_plain_username("admin")?;
    /// push.set_plain_password("secret")?;
    /// assert_eq!(push.mechanism(), Mechanism::Plain);
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn mechanism(&self) -> Mechanism {
        self.options.mechanism
    }

    /// ZMQ_PLAIN_SERVER: with `true` the socket is a PLAIN server (its ZAP handler checks
    /// each client's username and password; without a handler every client is refused, as
    /// in libzmq); `false` goes back to NULL.
    pub fn set_plain_server(&mut self, server: bool) -> Result<()> {
        self.options.as_server = server;
        self.options.mechanism = if server { Mechanism::Plain } else { Mechanism::Null };
        Ok(())
    }

    /// ZMQ_PLAIN_SERVER: `true` if the socket is a PLAIN server.
    pub fn plain_server(&self) -> bool {
        self.options.mechanism == Mechanism::Plain && self.options.as_server
    }

    /// ZMQ_PLAIN_USERNAME: makes the socket a PLAIN client sending this username (at most
    /// 255 octets); an empty one goes back to NULL.
    pub fn set_plain_username(&mut self, username: &str) -> Result<()> {
        short_enough("ZMQ_PLAIN_USERNAME", username.as_bytes())?;
        self.options.plain_username = Bytes::copy_from_slice(username.as_bytes());
        self.become_plain_client(username.is_empty());
        Ok(())
    }

    /// ZMQ_PLAIN_USERNAME.
    pub fn plain_username(&self) -> String {
        String::from_utf8_lossy(&self.options.plain_username).into_owned()
    }

    /// ZMQ_PLAIN_PASSWORD: makes the socket a PLAIN client sending this password (at most
    /// 255 octets; kept wiped on drop and never shown); an empty one goes back to NULL.
    pub fn set_plain_password(&mut self, password: &str) -> Result<()> {
        short_enough("ZMQ_PLAIN_PASSWORD", password.as_bytes())?;
        self.options.plain_password = Secret::new(password.as_bytes());
        self.become_plain_client(password.is_empty());
        Ok(())
    }

    /// ZMQ_PLAIN_PASSWORD (libzmq returns it too).
    pub fn plain_password(&self) -> String {
        String::from_utf8_lossy(self.options.plain_password.expose()).into_owned()
    }

    /// libzmq's rule for PLAIN_USERNAME and PLAIN_PASSWORD: a value makes a PLAIN client,
    /// an empty one NULL.
    fn become_plain_client(&mut self, empty: bool) {
        self.options.as_server = false;
        self.options.mechanism = if empty { Mechanism::Null } else { Mechanism::Plain };
    }

    /// ZMQ_CURVE_SERVER: with `true` the socket is a CURVE server, which needs
    /// [`set_curve_secretkey`](Self::set_curve_secretkey) (its clients need the matching
    /// public key); `false` goes back to NULL, as in libzmq.
    ///
    /// ```
    /// use ringmq_sockets::{Context, CurveKeyPair, Flags, Mechanism, SocketType};
    /// let server_keys = CurveKeyPair::generate();
    /// let ctx = Context::new()?;
    /// let mut server = ctx.socket(SocketType::Rep)?;
    /// server.set_curve_server(true)?;
    /// server.set_curve_secretkey(server_keys.secret.to_z85().as_bytes())?;
    /// server.bind("tcp://127.0.0.1:*")?;
    ///
    /// let mut client = ctx.socket(SocketType::Req)?;
    /// client.set_curve_serverkey(server_keys.public.to_z85().as_bytes())?;
    /// assert_eq!(client.mechanism(), Mechanism::Curve);
    /// client.connect(&server.last_endpoint())?;
    /// client.send("hello", Flags::NONE)?;
    /// assert_eq!(&server.recv(Flags::NONE)?[..], b"hello");
    /// # Ok::<(), ringmq_sockets::Error>(())
    /// ```
    pub fn set_curve_server(&mut self, server: bool) -> Result<()> {
        self.options.as_server = server;
        self.options.mechanism = if server { Mechanism::Curve } else { Mechanism::Null };
        Ok(())
    }

    /// ZMQ_CURVE_SERVER: `true` if the socket is a CURVE server.
    pub fn curve_server(&self) -> bool {
        self.options.mechanism == Mechanism::Curve && self.options.as_server
    }

    /// ZMQ_CURVE_PUBLICKEY: this socket's long-term public key as a CURVE client, 32 octets
    /// or 40 Z85 characters; makes the mechanism CURVE. (Without it, a client uses the
    /// public key of its secret key; without either, a fresh key pair.)
    pub fn set_curve_publickey(&mut self, key: &[u8]) -> Result<()> {
        self.options.curve_public_key = Some(CurvePublicKey::from_option(key)?);
        self.options.mechanism = Mechanism::Curve;
        Ok(())
    }

    /// ZMQ_CURVE_PUBLICKEY.
    pub fn curve_publickey(&self) -> Option<CurvePublicKey> {
        self.options.curve_public_key
    }

    /// ZMQ_CURVE_SECRETKEY: this socket's long-term secret key (a server's, or a client's),
    /// 32 octets or 40 Z85 characters; wiped on drop and never shown. Makes the mechanism
    /// CURVE.
    pub fn set_curve_secretkey(&mut self, key: &[u8]) -> Result<()> {
        self.options.curve_secret_key = Some(CurveSecretKey::from_option(key)?);
        self.options.mechanism = Mechanism::Curve;
        Ok(())
    }

    /// ZMQ_CURVE_SECRETKEY (libzmq returns it too).
    pub fn curve_secretkey(&self) -> Option<CurveSecretKey> {
        self.options.curve_secret_key.clone()
    }

    /// ZMQ_CURVE_SERVERKEY: the server's public key, 32 octets or 40 Z85 characters; makes
    /// the socket a CURVE client of that server.
    pub fn set_curve_serverkey(&mut self, key: &[u8]) -> Result<()> {
        self.options.curve_server_key = Some(CurvePublicKey::from_option(key)?);
        self.options.mechanism = Mechanism::Curve;
        self.options.as_server = false;
        Ok(())
    }

    /// ZMQ_CURVE_SERVERKEY.
    pub fn curve_serverkey(&self) -> Option<CurvePublicKey> {
        self.options.curve_server_key
    }

    /// ZMQ_ZAP_DOMAIN: the domain sent in ZAP requests (at most 255 octets). With NULL, a
    /// domain is what makes the socket ask its ZAP handler at all.
    pub fn set_zap_domain(&mut self, domain: &str) -> Result<()> {
        short_enough("ZMQ_ZAP_DOMAIN", domain.as_bytes())?;
        self.options.zap_domain = Bytes::copy_from_slice(domain.as_bytes());
        Ok(())
    }

    /// ZMQ_ZAP_DOMAIN.
    pub fn zap_domain(&self) -> String {
        String::from_utf8_lossy(&self.options.zap_domain).into_owned()
    }

    /// ZMQ_ZAP_ENFORCE_DOMAIN: a NULL socket with a domain, or a CURVE server, refuses its
    /// peers when no ZAP handler is bound (by default it accepts them, as libzmq does).
    pub fn set_zap_enforce_domain(&mut self, enforce: bool) -> Result<()> {
        self.options.zap_enforce_domain = enforce;
        Ok(())
    }

    /// ZMQ_ZAP_ENFORCE_DOMAIN.
    pub fn zap_enforce_domain(&self) -> bool {
        self.options.zap_enforce_domain
    }
}
